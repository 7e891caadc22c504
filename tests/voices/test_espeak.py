"""The fallback voice: Debian's espeak-ng program, its arguments and its errors; the kit
falls back to it when hibari-tts is not installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import agentsdk.voices
from agentsdk import ConfigurationError, GenerationError, Kit, MissingDependencyError
from agentsdk.voices import EspeakVoice, HibariVoice, stock_voice

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_espeak_speaks_text_at_its_rate() -> None:
    voice = EspeakVoice()
    assert voice.name == "espeak-ng:en-us" and voice.sample_rate == 22_050
    audio = voice.synthesize("Hello there. The train leaves at seven fifteen.")
    assert audio.sample_rate == 22_050
    assert 1.5 < audio.duration < 6.0
    assert 0.05 < float(abs(audio.samples).max()) <= 1.0
    slower = EspeakVoice(speed=100).synthesize("Hello there. The train leaves at seven fifteen.")
    assert slower.duration > audio.duration * 1.3


def test_text_is_one_argument_never_an_option_or_a_shell_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    voice = EspeakVoice()
    for text in ("--help", "-v xx -w /dev/null", f"$(touch {marker}); touch {marker}"):
        audio = voice.synthesize(text)  # espeak-ng printing its help would write no WAV
        assert audio.duration > 0.3, text
    assert not marker.exists()


def test_a_missing_program_is_a_missing_dependency() -> None:
    with pytest.raises(MissingDependencyError, match="apt-get install espeak-ng"):
        EspeakVoice(program="espeak-ng-that-is-not-installed")


def test_an_unknown_voice_fails_with_espeaks_message() -> None:
    with pytest.raises(GenerationError, match="does not exist"):
        EspeakVoice("xx-nowhere").synthesize("hello")


def test_a_run_over_the_timeout_is_stopped() -> None:
    with pytest.raises(GenerationError, match="did not finish within"):
        EspeakVoice(timeout=0.001).synthesize("A long sentence, said slowly. " * 60)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"voice": "-w"}, "not an espeak-ng voice"),
        ({"voice": "en us"}, "not an espeak-ng voice"),
        ({"speed": 20}, "words per minute"),
        ({"speed": 1.5}, "words per minute"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        EspeakVoice(**options)  # type: ignore[arg-type]


def test_the_kit_falls_back_to_espeak_without_hibari(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(Kit.stock().voice, HibariVoice)
    monkeypatch.setattr(agentsdk.voices, "hibari_installed", lambda: False)
    voice = Kit.stock().voice
    assert isinstance(voice, EspeakVoice) and voice.name == "espeak-ng:en-us"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match=r"hibari-tts.*espeak-ng"):
        stock_voice()
