"""OCR: reading order and scoring with a scripted engine, quality on the stock rapidocr."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jiwer
import numpy as np
import pytest

from agentsdk import Audio, ConfigurationError, Image, Kit
from agentsdk.encoders import OCREncoder, OCRLine
from agentsdk.encoders.ocr import reading_order
from tests.encoders.samples import receipt_sample, text_samples


def box(left: float, top: float, right: float, bottom: float) -> list[list[float]]:
    return [[left, top], [right, top], [right, bottom], [left, bottom]]


class ScriptedEngine:
    """Returns fixed detections, like rapidocr's output object."""

    def __init__(self, detections: list[tuple[str, float, list[list[float]]]]) -> None:
        self.detections = detections
        self.seen: list[np.ndarray] = []

    def __call__(self, image: np.ndarray, use_cls: bool = False) -> Any:
        self.seen.append(image)
        if not self.detections:
            return SimpleNamespace(txts=None, scores=None, boxes=None)
        texts, scores, boxes = zip(*self.detections, strict=True)
        return SimpleNamespace(txts=texts, scores=scores, boxes=np.array(boxes))


def line(text: str, left: float, top: float, right: float, bottom: float) -> OCRLine:
    return OCRLine(text, 0.9, tuple((x, y) for x, y in box(left, top, right, bottom)))


def test_reading_order_rows_then_columns() -> None:
    lines = [
        line("3.25", 300, 102, 350, 124),
        line("TOTAL", 20, 140, 90, 164),
        line("Milk", 20, 100, 100, 125),
        line("HEADER", 20, 20, 200, 45),
        line("15.75", 300, 139, 360, 165),
    ]
    rows = reading_order(lines)
    assert [[item.text for item in row] for row in rows] == [
        ["HEADER"],
        ["Milk", "3.25"],
        ["TOTAL", "15.75"],
    ]


def test_tilted_lines_on_different_rows_stay_apart() -> None:
    upper, lower = line("first", 0, 0, 100, 20), line("second", 0, 16, 100, 36)
    assert len(reading_order([lower, upper])) == 2


def test_encode_joins_rows_weights_confidence_and_drops_weak_lines() -> None:
    engine = ScriptedEngine(
        [
            ("TOTAL", 0.8, box(20, 140, 90, 164)),
            ("15.75", 1.0, box(300, 139, 360, 165)),
            ("smudge", 0.2, box(20, 200, 90, 220)),
        ]
    )
    image = Image(np.full((240, 400, 3), 255, np.uint8))
    observation = OCREncoder(engine, min_score=0.5).encode(image)
    assert observation.text == "TOTAL 15.75"
    assert observation.confidence == pytest.approx((5 * 0.8 + 5 * 1.0) / 10)
    assert [item["row"] for item in observation.details["lines"]] == [0, 0]
    assert observation.details["lines"][1]["box"][0] == (300.0, 139.0)
    assert engine.seen[0].shape == (240, 400, 3)


def test_engine_gets_bgr_pixels() -> None:
    engine = ScriptedEngine([])
    OCREncoder(engine).encode(
        Image(np.dstack([np.full((4, 4), v, np.uint8) for v in (10, 20, 30)]))
    )
    assert engine.seen[0][0, 0].tolist() == [30, 20, 10]


def test_no_text_is_an_empty_observation() -> None:
    observation = OCREncoder(ScriptedEngine([])).encode(Image(np.zeros((8, 8, 3), np.uint8)))
    assert observation.empty and observation.confidence == 0.0


def test_options_are_validated() -> None:
    with pytest.raises(ConfigurationError):
        OCREncoder(ScriptedEngine([]), min_score=2)
    with pytest.raises(ConfigurationError, match="Image"):
        OCREncoder(ScriptedEngine([])).encode(Audio(np.ones(10, np.float32) / 2, sample_rate=8000))


@pytest.mark.stock
def test_stock_ocr_character_error_rate() -> None:
    ocr = Kit.stock().ocr
    references, hypotheses = [], []
    for sample in text_samples():
        observation = ocr.encode(Image(sample.image))
        references.append(" ".join(sample.text.split()))
        hypotheses.append(" ".join(observation.text.split()))
        assert observation.confidence > 0.8, sample.label
    assert len(references) >= 10
    cer = jiwer.cer(references, hypotheses)
    assert cer <= 0.05, list(zip(references, hypotheses, strict=True))


@pytest.mark.stock
def test_stock_ocr_keeps_receipt_rows_together() -> None:
    observation = Kit.stock().ocr.encode(Image(receipt_sample().image))
    rows = observation.text.splitlines()
    assert rows[0] == "CORNER MARKET"
    assert "Whole milk 2L 3.25" in rows
    assert rows[-1] == "TOTAL 25.45"
