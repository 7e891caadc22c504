"""Observations."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agentsdk import ConfigurationError
from agentsdk.encoders import Encoder, ImageFactsEncoder, Observation


def make(**changes: object) -> Observation:
    fields: dict[str, object] = {
        "kind": "ocr",
        "text": "TOTAL 25.45",
        "confidence": 0.9,
        "encoder": "ocr",
        "model": "m",
        "part_id": "abc",
    }
    fields.update(changes)
    return Observation(**fields)  # type: ignore[arg-type]


def test_round_trips_through_json_with_its_embedding() -> None:
    original = make(details={"lines": [{"text": "TOTAL"}]}, embedding=np.ones(4, np.float32) / 2)
    restored = Observation.from_dict(json.loads(json.dumps(original.to_dict())))
    assert restored == original
    assert restored.embedding is not None
    np.testing.assert_array_equal(restored.embedding, original.embedding)


@pytest.mark.parametrize("confidence", [-0.1, 1.5, float("nan")])
def test_confidence_must_be_a_probability(confidence: float) -> None:
    with pytest.raises(ConfigurationError, match="confidence"):
        make(confidence=confidence)


def test_empty_means_nothing_perceived() -> None:
    assert make(text="  \n").empty
    assert not make().empty


def test_encoders_satisfy_the_protocol() -> None:
    assert isinstance(ImageFactsEncoder(), Encoder)
