"""Encoders turn media parts into observations: speech, OCR, vision, model-free facts.

Each encoder has `name`, `modality`, `cache_key` and `encode(part) -> Observation`.
Backends import their runtimes on first use.
"""

from agentsdk.encoders.base import Encoder, Observation, ObservationKind
from agentsdk.encoders.cache import CachedEncoder, ObservationCache, cached, default_cache
from agentsdk.encoders.facts import ImageFactsEncoder
from agentsdk.encoders.ocr import OCREncoder, OCRLine
from agentsdk.encoders.speech import (
    FasterWhisperBackend,
    Segment,
    SpeechEncoder,
    TransformersWhisperBackend,
    WhisperBackend,
)
from agentsdk.encoders.vision import VisionEncoder, default_labels, open_clip_encoder

__all__ = [
    "CachedEncoder",
    "Encoder",
    "FasterWhisperBackend",
    "ImageFactsEncoder",
    "OCREncoder",
    "OCRLine",
    "Observation",
    "ObservationCache",
    "ObservationKind",
    "Segment",
    "SpeechEncoder",
    "TransformersWhisperBackend",
    "VisionEncoder",
    "WhisperBackend",
    "cached",
    "default_cache",
    "default_labels",
    "open_clip_encoder",
]
