"""Router: parts to encoders, concurrently, failures reported."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import numpy as np
import pytest

from agentsdk import Audio, Image, Kit, Text
from agentsdk.encoders import ImageFactsEncoder, Observation
from agentsdk.events import EncoderFailed, EncoderFinished, EncoderStarted, Event
from agentsdk.router import Router


class SleepyEncoder:
    def __init__(
        self, name: str, modality: Literal["image", "audio"], delay: float, fail: bool = False
    ) -> None:
        self.name, self.modality, self.delay, self.fail = name, modality, delay, fail
        self.cache_key = name

    def encode(self, part: Image | Audio) -> Observation:
        time.sleep(self.delay)  # releases the GIL, like real inference
        if self.fail:
            raise RuntimeError("model crashed")
        return Observation(
            kind="ocr",
            text=self.name,
            confidence=1.0,
            encoder=self.name,
            model="",
            part_id=part.sha256,
        )


IMAGE = Image(np.zeros((4, 4, 3), np.uint8))
AUDIO = Audio(np.full(1600, 0.1, np.float32), sample_rate=16_000)


def perceive(router: Router, parts: list[object]) -> tuple[object, list[Event]]:
    events: list[Event] = []
    perception = asyncio.run(router.perceive(parts, events.append, lambda: 0.0, "run"))  # type: ignore[arg-type]
    return perception, events


def test_each_modality_goes_to_its_encoders() -> None:
    router = Router(
        image=[SleepyEncoder("ocr", "image", 0), SleepyEncoder("facts", "image", 0)],
        audio=[SleepyEncoder("speech", "audio", 0)],
    )
    jobs = router.jobs([Text("hi"), IMAGE, AUDIO])
    assert [(index, encoder.name) for index, encoder in jobs] == [
        (1, "ocr"),
        (1, "facts"),
        (2, "speech"),
    ]


def test_encoders_run_concurrently() -> None:
    router = Router(
        image=[SleepyEncoder("ocr", "image", 0.3), SleepyEncoder("vision", "image", 0.3)],
        audio=[SleepyEncoder("speech", "audio", 0.3)],
    )
    started = time.perf_counter()
    perception, events = perceive(router, [IMAGE, AUDIO])
    elapsed = time.perf_counter() - started
    assert elapsed < 0.55  # three 0.3 s jobs, run together
    assert [o.text for o in perception.observations] == ["ocr", "vision", "speech"]  # type: ignore[attr-defined]
    assert set(perception.latencies) == {"ocr:0", "vision:0", "speech:1"}  # type: ignore[attr-defined]
    assert all(0.25 < s < 0.5 for s in perception.latencies.values())  # type: ignore[attr-defined]
    assert sum(isinstance(e, EncoderStarted) for e in events) == 3
    assert sum(isinstance(e, EncoderFinished) for e in events) == 3


def test_a_failing_encoder_is_reported_and_the_rest_go_on() -> None:
    router = Router(image=[SleepyEncoder("ocr", "image", 0, fail=True), ImageFactsEncoder()])
    perception, events = perceive(router, [IMAGE])
    assert [o.kind for o in perception.observations] == ["facts"]  # type: ignore[attr-defined]
    assert perception.failures == ((0, "ocr", "RuntimeError: model crashed"),)  # type: ignore[attr-defined]
    assert [e.error for e in events if isinstance(e, EncoderFailed)] == [
        "RuntimeError: model crashed"
    ]


def test_from_kit_skips_vision_when_the_kit_has_none() -> None:
    kit = Kit(ocr=ImageFactsEncoder(), speech=SleepyEncoder("speech", "audio", 0))
    router = Router.from_kit(kit)
    assert [e.name for e in router.image] == ["facts", "facts"]
    assert [e.name for e in router.audio] == ["speech"]


def test_text_only_runs_need_no_encoder() -> None:
    perception, events = perceive(Router(), [Text("hello")])
    assert perception.observations == () and events == []  # type: ignore[attr-defined]


def test_kit_vision_errors_other_than_missing_model_propagate() -> None:
    class Broken(Kit):
        @property
        def vision(self) -> object:  # type: ignore[override]
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Router.from_kit(Broken(ocr=ImageFactsEncoder(), speech=SleepyEncoder("s", "audio", 0)))
