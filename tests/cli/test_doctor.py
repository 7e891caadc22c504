"""`agentsdk doctor`'s report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from agentsdk import Kit
from agentsdk.cli.doctor import PACKAGES, describe_devices, diagnose, render
from agentsdk.kit import STOCK_COMPONENTS, ComponentCheck


def test_devices_always_include_the_cpu() -> None:
    cpu = describe_devices()[0]
    assert cpu["device"] == "cpu"
    assert cpu["cores"] >= 1 and cpu["memory_bytes"] > 0


def test_report_lists_versions_devices_and_components() -> None:
    report = diagnose(Kit.stock(), load=False)
    assert set(report.packages) == set(PACKAGES)
    assert report.packages["agentsdk"] == "0.1.0"
    assert [c.role for c in report.components] == [*STOCK_COMPONENTS, "voice"]
    assert report.components[-1].model == "hibari:heart"  # found, not loaded: not spoken
    text = render(report)
    for needle in ("python", "torch", "cpu", "llm", "speech", "ocr", "embeddings", "voice"):
        assert needle in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["usable"] == report.usable


def test_a_missing_component_makes_the_kit_unusable() -> None:
    gone = dataclasses.replace(STOCK_COMPONENTS["speech"], package="no_such_weights_pkg")
    report = diagnose(Kit(components={"speech": gone}), load=False)
    assert not report.usable
    assert "NOT usable" in render(report)
    assert "missing" in render(report)


def test_an_empty_kit_is_not_usable() -> None:
    assert not diagnose(Kit(components={}), load=False).usable


@pytest.mark.stock
def test_the_stock_kit_loads(tmp_path: Path) -> None:
    report = diagnose(Kit.stock(), load=True)
    assert report.usable, render(report)
    assert all(c.status == "ok" and c.load_seconds is not None for c in report.components)
    assert report.components[-1].role == "voice"  # it spoke


def test_a_voice_that_cannot_speak_makes_the_kit_unusable() -> None:
    from agentsdk import ConfigurationError, ScriptedModel

    class Mute:
        name, sample_rate = "mute", 16_000

        def synthesize(self, text: str) -> object:
            raise ConfigurationError("no sound card in this voice")

    report = diagnose(Kit(llm=ScriptedModel([]), components={}, voice=Mute()), load=True)
    assert [(c.role, c.status) for c in report.components] == [("voice", "unloadable")]
    assert "no sound card" in render(report) and not report.usable


class _LoadsACheckpoint(Kit):
    """A kit whose check loads a real (tiny) checkpoint with transformers, as the stock
    kit's check does: transformers draws its "Loading weights" bar while it loads."""

    def __init__(self, checkpoint: Path) -> None:
        super().__init__(components={})
        self.checkpoint = checkpoint

    def check(self, *, load: bool = True) -> list[ComponentCheck]:
        from transformers import AutoModelForCausalLM

        AutoModelForCausalLM.from_pretrained(self.checkpoint)
        return []


def test_doctor_prints_no_progress_bars(
    tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from transformers.utils import logging as hf_logging

    kit = _LoadsACheckpoint(tiny_checkpoint)
    kit.check()
    assert "Loading weights" in capsys.readouterr().err  # what the doctor must keep out
    diagnose(kit, load=True)
    captured = capsys.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    assert hf_logging.is_progress_bar_enabled()  # restored for the rest of the process


def test_bars_turned_off_before_stay_off() -> None:
    from huggingface_hub.utils import are_progress_bars_disabled
    from transformers.utils import logging as hf_logging

    from agentsdk.cli.doctor import quiet_progress_bars

    hf_logging.disable_progress_bar()
    try:
        with quiet_progress_bars():
            assert not hf_logging.is_progress_bar_enabled()
        assert not hf_logging.is_progress_bar_enabled() and are_progress_bars_disabled()
    finally:
        hf_logging.enable_progress_bar()
