"""`agentsdk demo --speak OUT.wav`: the demo's answer spoken by the stock voice into a file."""

from __future__ import annotations

import io
from pathlib import Path

import jiwer
import pytest
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from agentsdk import Audio, Kit, cli
from agentsdk.cli.demo import run_demo

normalise = EnglishTextNormalizer({})


def test_speak_into_a_folder_that_does_not_exist_is_refused_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # not a `stock` test: loading any model here would fail it
    target = tmp_path / "missing" / "answer.wav"
    assert cli.main(["demo", "--speak", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"agentsdk demo: error: --speak {target}: give a WAV file")
    assert cli.main(["demo", "--speak", str(tmp_path)]) == 2  # a folder, not a file
    assert not target.parent.exists()


@pytest.mark.stock
def test_demo_speaks_its_answer_into_a_wav_file(tmp_path: Path) -> None:
    target = tmp_path / "answer.wav"
    out = io.StringIO()
    result = run_demo(out=out, speak=target)
    printed = out.getvalue()
    assert "loading voice (hibari:heart)" in printed
    assert f"spoken: {target}" in printed, printed
    written = Audio(target)
    assert written.format == "WAV" and written.sample_rate == 24_000
    assert result.speech is not None
    assert abs(written.duration - result.speech.duration) < 0.01
    heard = Kit.stock().speech.encode(written).text
    wer = jiwer.wer(normalise(result.text), normalise(heard))
    assert wer <= 0.1, (result.text, heard)
