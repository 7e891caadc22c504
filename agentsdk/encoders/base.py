"""The encoder protocol and the `Observation` every encoder returns.

An encoder turns one media part into text a language model can read, with a confidence
in [0, 1] and provenance: which encoder and model, which part (by content hash), and
where in the part (time spans for audio, boxes for images, in `details`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from agentsdk.codec import Serialisable
from agentsdk.errors import ConfigurationError
from agentsdk.media import Media

__all__ = ["Encoder", "Observation", "ObservationKind"]

ObservationKind = Literal["speech", "ocr", "vision", "facts"]
"""The kinds the stock encoders make; an encoder of a new modality may name its own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation(Serialisable):
    """What one encoder perceived in one part. `to_dict()` is JSON-ready (the embedding a
    list of floats); `from_dict()` reads it back."""

    kind: str
    """Which sense: speech transcript, OCR text, vision tags, model-free image facts (an
    `ObservationKind`), or the kind a new encoder names."""
    text: str
    """The perception as prompt-ready text ("" when nothing was found)."""
    confidence: float
    """How sure the encoder is, in [0, 1]."""
    encoder: str
    """Name of the encoder that produced it."""
    model: str
    """The model behind the encoder ("" for model-free encoders)."""
    part_id: str
    """Content hash (sha256) of the part it came from."""
    part_name: str | None = None
    """The part's file name, when it had one."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Structured results: segments with time spans, lines with boxes, tags with scores."""
    embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False)
    """An L2-normalised embedding of the part, for encoders that make one."""
    seconds: float = field(default=0.0, compare=False)
    """How long encoding took (0 when served from cache)."""
    label: str | None = None
    """How fusion names the section ("text read in the image (OCR)"); None: the label of
    its `kind`. An encoder of a new modality sets it."""
    priority: int | None = None
    """Where fusion ranks it when the prompt is over budget (higher is kept longer);
    None: the priority of its `kind`."""

    def __post_init__(self) -> None:
        if not (0.0 <= self.confidence <= 1.0) or math.isnan(self.confidence):
            raise ConfigurationError(f"confidence must be in [0, 1], got {self.confidence}")

    @property
    def empty(self) -> bool:
        """Nothing was perceived (no speech, no text in the image...)."""
        return not self.text.strip()


@runtime_checkable
class Encoder(Protocol):
    """Turns one media part of its `modality` into an `Observation`. A new modality needs
    only its media part and an encoder of that modality: the router sends each part to
    the encoders of its modality, and fusion labels and ranks the observation by its
    `label` and `priority` (or its kind's)."""

    @property
    def name(self) -> str:
        """Short name used in provenance and cache keys ("speech", "ocr", ...)."""
        ...

    @property
    def modality(self) -> str:
        """Which parts it reads: the `modality` of a media part ("image", "audio")."""
        ...

    @property
    def cache_key(self) -> str:
        """Model and options: two encoders with equal keys give equal observations."""
        ...

    def encode(self, part: Media) -> Observation:
        """Perceive one part."""
        ...
