"""Cases and datasets: JSONL round trip, media paths, errors that name the case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image as PILImage

from agentsdk import Audio, ConfigurationError, Image, Text
from agentsdk.evals import Case, Dataset


def _write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_dataset_round_trips_and_loads_its_media(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    PILImage.new("RGB", (20, 10), "white").save(tmp_path / "media" / "a.png")
    soundfile.write(tmp_path / "media" / "q.flac", np.zeros(1600) + 0.1, 16_000)
    path = _write(
        tmp_path / "cases.jsonl",
        [
            {
                "id": "one",
                "text": "How much?",
                "images": ["media/a.png"],
                "audio": ["media/q.flac"],
                "expected": {"number": 3.5, "tolerance": 0.01},
                "metadata": {"kind": "total"},
            },
            {"id": "two", "text": "Name?", "expected": {"word": "Ana"}},
        ],
    )
    dataset = Dataset.from_jsonl(path)
    assert dataset.name == tmp_path.name and len(dataset) == 2
    text, image, audio = dataset.cases[0].parts(dataset.root)
    assert text == Text("How much?") and isinstance(image, Image) and isinstance(audio, Audio)
    dataset.to_jsonl(tmp_path / "copy.jsonl")
    again = Dataset.from_jsonl(tmp_path / "copy.jsonl", name="copy")
    assert again.cases == dataset.cases and again.name == "copy"
    assert [c.id for c in dataset.limit(1)] == ["one"]
    assert [c.id for c in dataset.select(["two"])] == ["two"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([{"text": "no id", "expected": {"exact": "x"}}], "needs an 'id'"),
        ([{"id": "a", "expected": {}}], "expects nothing"),
        ([{"id": "a", "expected": {"exact": "x"}, "inputs": {}}], "unknown fields"),
        ([{"id": "a", "expected": {"exact": "x"}}] * 2, "repeats"),
        ([{"id": "a", "images": ["gone.png"], "expected": {"exact": "x"}}], "is missing"),
    ],
)
def test_mistakes_are_named_when_the_dataset_loads(
    tmp_path: Path, lines: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Dataset.from_jsonl(_write(tmp_path / "cases.jsonl", lines))


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a", "expected": {"exact": "x"}}\n{not json\n')
    with pytest.raises(ConfigurationError, match=r"cases.jsonl:2: not JSON"):
        Dataset.from_jsonl(path)
    with pytest.raises(ConfigurationError, match="no dataset"):
        Dataset.from_jsonl(tmp_path / "nothing.jsonl")
    with pytest.raises(ConfigurationError, match="at least 1"):
        Dataset("d", [Case("a", expected={"exact": "x"})]).limit(0)


def test_a_dataset_file_in_the_working_folder_is_named_by_its_stem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "my_cases.jsonl", [{"id": "a", "text": "hi", "expected": {"word": "x"}}])
    monkeypatch.chdir(tmp_path)
    assert Dataset.from_jsonl("my_cases.jsonl").name == "my_cases"
    assert Dataset.from_jsonl("my_cases.jsonl").root == tmp_path.resolve()
