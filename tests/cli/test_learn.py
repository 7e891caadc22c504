"""`agentsdk learn export`, run as users run it: in-process and as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentsdk import cli
from agentsdk.run import postgres
from agentsdk.run.checkpoints import SQLiteCheckpointStore
from tests.learn.test_export import EMAIL, IBAN, PAY_SCHEMA, approved, edited, read

AGENT_FILE = '''
from agentsdk import ScriptedModel
from agentsdk.agent import Agent
from agentsdk.tools import tool


@tool(approval="always")
def pay(amount: float, to: str) -> str:
    """Pay an amount to someone.

    Args:
        amount: How much.
        to: Who gets it.
    """
    return f"paid {amount:.2f} to {to}"


@tool
def lookup(name: str) -> str:
    """Look a company up.

    Args:
        name: The company.
    """
    return f"{name} is a supplier"


agent = Agent(model=ScriptedModel([]), tools=[pay, lookup])
'''


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store = SQLiteCheckpointStore(tmp_path / "runs.db")
    approved(store)
    edited(store)
    return store.path


def test_export_prints_the_counts_and_writes_the_files(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    code = cli.main(["learn", "export", "--db", str(db), "--out", str(out), "--test-fraction", "0"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"exported to {out}:" in printed
    assert "2 supervised pairs (train 2, test 0)" in printed
    assert "1 preference pairs (train 1, test 0)" in printed
    assert "from 2 decisions (approve 1, edit 1)" in printed
    assert [r["meta"]["thread_id"] for r in read(out, "sft")] == ["t-approve", "t-edit"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"] == {
        "by": "thread",
        "rule": manifest["split"]["rule"],
        "seed": 0,
        "test_fraction": 0.0,
        "threads": {"train": 2, "test": 0},
    }
    for path in out.rglob("*.json*"):
        assert EMAIL not in path.read_text() and IBAN not in path.read_text()


def test_export_with_the_agent_file_adds_the_tool_schemas(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bills.py").write_text(AGENT_FILE)
    out = tmp_path / "data"
    argv = ["learn", "export", "--db", str(db), "--out", str(out)]
    assert cli.main([*argv, "--agent", f"{tmp_path / 'bills.py'}:agent", "--seed", "5"]) == 0
    rows = read(out, "sft")
    assert len(rows) == 2 and all(row["tools"][0] == PAY_SCHEMA for row in rows)


def test_a_signed_store_needs_its_key_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteCheckpointStore(tmp_path / "signed.db", key="s3cret")
    approved(store)
    argv = ["learn", "export", "--db", str(store.path), "--out", str(tmp_path / "out")]
    assert cli.main([*argv, "--key-env", "BILLS_KEY"]) == 2
    assert "--key-env BILLS_KEY: that environment variable is empty" in capsys.readouterr().err
    monkeypatch.setenv("BILLS_KEY", "wrong")
    assert cli.main([*argv, "--key-env", "BILLS_KEY"]) == 2
    assert "does not match its signature" in capsys.readouterr().err
    monkeypatch.setenv("BILLS_KEY", "s3cret")
    assert cli.main([*argv, "--key-env", "BILLS_KEY"]) == 0


def test_a_dsn_opens_a_postgres_store(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def store(dsn: str, *, key: str | None = None) -> SQLiteCheckpointStore:
        opened.append(dsn)
        return SQLiteCheckpointStore(db, key=key)

    monkeypatch.setattr(postgres, "PostgresCheckpointStore", store)
    dsn = "postgresql://agents@db.internal/agents"
    assert cli.main(["learn", "export", "--dsn", dsn, "--out", str(tmp_path / "out")]) == 0
    assert opened == [dsn]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--db", "{tmp}/nope.db"], "no checkpoint store at"),
        (["--db", "{db}", "--audit", "{tmp}/nope.jsonl"], "no audit log at"),
        (["--db", "{db}", "--test-fraction", "2"], "test_fraction must be from 0 to 1"),
        (["--db", "{db}", "--agent", "{tmp}/none.py:agent"], "--agent: no such file"),
    ],
)
def test_errors_are_one_line_with_status_2(
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    filled = [a.format(tmp=tmp_path, db=db) for a in argv]
    assert cli.main(["learn", "export", *filled, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("agentsdk learn: error: ") and message in line
    assert captured.out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["learn"],
        ["learn", "export", "--out", "x"],
        ["learn", "export", "--db", "a.db", "--dsn", "postgresql://h/d", "--out", "x"],
        ["learn", "export", "--db", "a.db"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "usage: agentsdk learn" in capsys.readouterr().err


def test_export_as_a_process(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "agentsdk", "learn", "export", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "2 supervised pairs" in done.stdout
    assert (out / "manifest.json").is_file()
    assert sum(len(read(out, kind)) for kind in ("sft", "preferences")) == 3


def test_export_then_train_an_adapter_and_load_it(
    db: Path, tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentsdk.models.local import LocalModel

    (tmp_path / "bills.py").write_text(AGENT_FILE)
    data, adapter = tmp_path / "data", tmp_path / "adapter"
    exported = ["learn", "export", "--db", str(db), "--out", str(data), "--test-fraction", "0"]
    assert cli.main([*exported, "--agent", f"{tmp_path / 'bills.py'}:agent"]) == 0
    argv = ["learn", "train", str(data), "--base", str(tiny_checkpoint), "--out", str(adapter)]
    assert cli.main([*argv, "--epochs", "1", "--learning-rate", "0.01"]) == 0
    printed = capsys.readouterr().out
    assert "trained adapter on 2 rows" in printed and "final loss " in printed
    assert f"adapter: {adapter}" in printed
    assert "it applies to: prompts listing lookup, pay (adapter_scope='trained')" in printed
    loaded = LocalModel.from_pretrained(tiny_checkpoint, adapter=adapter)
    assert loaded.load_info is not None and loaded.load_info.adapter == adapter
    assert loaded.adapter_scope is not None
    assert loaded.adapter_scope.tools == {"lookup", "pay"}
    assert cli.main([*argv, "--epochs", "1"]) == 2  # it is there: --overwrite replaces it
    assert "agentsdk learn: error: " in capsys.readouterr().err
    assert cli.main([*argv, "--epochs", "1", "--overwrite"]) == 0
