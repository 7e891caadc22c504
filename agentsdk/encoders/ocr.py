"""OCR: text inside images, as lines with boxes and scores in reading order (rapidocr).

Lines whose vertical centres fall inside one another's extent form a row; rows go top
to bottom and the lines of a row left to right, so a receipt's "Coffee   3.50" stays on
one line. The confidence is the mean line score weighted by text length.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError, MissingDependencyError, ModelLoadError
from agentsdk.media import Image, Media

__all__ = ["OCREncoder", "OCRLine", "reading_order"]


@dataclass(frozen=True, slots=True)
class OCRLine:
    """One detected line of text."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]
    """Four (x, y) corners in pixels of the upright image, clockwise from top-left."""
    row: int = 0
    """Its row in reading order."""

    @property
    def top(self) -> float:
        return min(y for _, y in self.box)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.box)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.box)


def reading_order(lines: Sequence[OCRLine]) -> list[list[OCRLine]]:
    """Rows of lines, top to bottom, each row left to right."""
    rows: list[list[OCRLine]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        centre = (line.top + line.bottom) / 2
        if rows:
            row = rows[-1]
            top = min(item.top for item in row)
            bottom = max(item.bottom for item in row)
            row_centre = (top + bottom) / 2
            if top <= centre <= bottom and line.top <= row_centre <= line.bottom:
                row.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda item: item.left) for row in rows]


def _load_engine(threads: int | None = None) -> Any:
    """rapidocr's engine; `threads`: onnxruntime's threads per session (None: all)."""
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise MissingDependencyError(
            "the OCR encoder needs rapidocr and onnxruntime: pip install 'agentsdk[kit]'"
        ) from exc
    try:
        params: dict[str, Any] = {"Global.log_level": "critical"}
        if threads is not None:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        return RapidOCR(params=params)
    except Exception as exc:  # rapidocr raises its own error types
        raise ModelLoadError(f"rapidocr could not start: {exc}") from exc


class OCREncoder:
    """Image part -> text lines observation (kind "ocr")."""

    name = "ocr"
    modality: Literal["image"] = "image"

    def __init__(
        self,
        engine: Any = None,
        *,
        model: str = "rapidocr:PP-OCRv6-small",
        min_score: float = 0.5,
        classify_orientation: bool = False,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ConfigurationError("min_score must be in [0, 1]")
        self._engine = engine if engine is not None else _load_engine()
        self.model = model
        self.min_score = min_score
        self.classify_orientation = classify_orientation

    @property
    def cache_key(self) -> str:
        return f"{self.model}|min_score={self.min_score}|cls={self.classify_orientation}"

    def read(self, image: Image) -> list[OCRLine]:
        """Lines in reading order, with `row` set."""
        bgr = np.ascontiguousarray(image.to_array()[:, :, ::-1])  # rapidocr takes BGR arrays
        result = self._engine(bgr, use_cls=self.classify_orientation)
        if result is None or getattr(result, "txts", None) is None:
            return []
        found = [
            OCRLine(str(text), float(score), tuple((float(x), float(y)) for x, y in box))
            for text, score, box in zip(result.txts, result.scores, result.boxes, strict=True)
            if str(text).strip() and float(score) >= self.min_score
        ]
        return [
            OCRLine(line.text, line.score, line.box, index)
            for index, row in enumerate(reading_order(found))
            for line in row
        ]

    def encode(self, part: Media) -> Observation:
        if not isinstance(part, Image):
            raise ConfigurationError(f"the OCR encoder takes Image, not {type(part).__name__}")
        started = time.perf_counter()
        lines = self.read(part)
        rows: dict[int, list[str]] = {}
        for line in lines:
            rows.setdefault(line.row, []).append(line.text)
        text = "\n".join(" ".join(texts) for texts in rows.values())
        weights = [len(line.text) for line in lines]
        confidence = (
            sum(w * line.score for w, line in zip(weights, lines, strict=True)) / sum(weights)
            if lines
            else 0.0
        )
        return Observation(
            kind="ocr",
            text=text,
            confidence=min(1.0, max(0.0, confidence)),
            encoder=self.name,
            model=self.model,
            part_id=part.sha256,
            part_name=part.name,
            details={"lines": [asdict(line) for line in lines], "size": part.size},
            seconds=time.perf_counter() - started,
        )
