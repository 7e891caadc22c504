"""`agentsdk plan`, run as users run it."""

from __future__ import annotations

import pytest

from agentsdk import cli
from agentsdk.placement import Device, Plan, planner

GIB = 2**30


def test_plan_a_simulated_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--simulate", "2x24GiB", "--llm", "llama-3-70b"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Device plan for simulated machine: 2 GPUs")
    assert "llama-3-70b" in out and "whisper-tiny.en-ct2" in out and "pp-ocrv6-small" in out
    assert "cuda:1" in out and "disk" in out


def test_plan_as_json_with_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        [
            "plan",
            "--simulate",
            "1x80GiB,2x16GiB@7.0",
            "--llm",
            "llama-3-8b",
            "--vision",
            "clip-vit-l-14",
            "--speech",
            "whisper-large-v3",
            "--pin",
            "vision=cuda:2",
            "--exclude",
            "cuda:1",
            "--max-memory",
            "cuda:0=40GiB",
            "--context",
            "8192",
            "--json",
        ]
    )
    assert code == 0
    plan = Plan.from_json(capsys.readouterr().out)
    assert plan.simulated and plan.options.context == 8192
    assert plan["vision"].devices == ("cuda:2",) and plan["vision"].dtype == "float16"
    assert plan["speech"].model == "whisper-large-v3"
    assert plan["llm"].devices == ("cuda:0",)
    assert plan.used("cuda:1") == 0 and plan.budget("cuda:0") == 40 * 2**30


def test_plan_for_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Device plan for this machine")
    assert "smollm2-135m" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--simulate", "2xlots"], "as a size"),
        (["--simulate", "2x24GiB", "--llm", "gpt-9"], "neither a preset"),
        (["--simulate", "2x24GiB", "--pin", "llm"], "KEY=VALUE"),
        (["--simulate", "2x24GiB", "--exclude", "cuda:7"], "not a device here"),
        (["--simulate", "1x8GiB", "--llm", "llama-3-70b", "--no-offload"], "offload is off"),
    ],
)
def test_plan_errors_are_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plan", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("agentsdk plan: ") and message in captured.err


def test_plan_never_goes_past_the_disk(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine without GPUs, 68.8 GiB free for the offload folder: Llama 3 70B in fp32
    # (263 GiB) was once planned there with "left -183.8 GiB".
    machine = (
        Device("cpu", int(23.5 * GIB), int(21.5 * GIB), None, "RAM"),
        Device("disk", 252 * GIB, int(68.8 * GIB), None, "offload folder"),
    )
    monkeypatch.setattr(planner, "discover_devices", lambda: machine)
    assert cli.main(["plan"]) == 0  # the stock kit fits
    assert "-" not in capsys.readouterr().out.split("left", 1)[1].split()[0]
    assert cli.main(["plan", "--llm", "llama-3-70b"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("agentsdk plan: error: llama-3-70b does not fit even offloaded")
    assert "what would fit: int8 weights" in line and "llama-3-8b" in line
    assert "more RAM or offload disk" in line
