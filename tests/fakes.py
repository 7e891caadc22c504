"""Fakes shared by the loop tests: encoders that perceive what they are told to."""

from __future__ import annotations

from typing import Literal

import numpy as np

from agentsdk import Audio, Image, Observation


class FixedEncoder:
    """An encoder that perceives what it is told to, with the confidence it is told."""

    def __init__(
        self,
        name: str,
        modality: Literal["image", "audio"],
        text: str,
        confidence: float,
    ) -> None:
        self.name, self.modality, self.text, self.confidence = name, modality, text, confidence
        self.cache_key = f"fixed:{name}"
        self.calls = 0

    def encode(self, part: Image | Audio) -> Observation:
        self.calls += 1
        kind = "speech" if self.modality == "audio" else "ocr"
        return Observation(
            kind=kind,
            text=self.text,
            confidence=self.confidence,
            encoder=self.name,
            model="fixed",
            part_id=f"part-{self.name}",
            part_name=part.name,
            details={"lines": [{"text": self.text, "score": self.confidence}]},
        )


def receipt() -> Image:
    return Image(np.full((8, 8, 3), 255, np.uint8), name="receipt.png")


def clip() -> Audio:
    return Audio(
        np.random.default_rng(0).normal(0, 0.1, 1600).astype(np.float32), sample_rate=16000
    )
