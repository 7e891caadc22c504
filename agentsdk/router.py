"""Which encoders see which part, run concurrently.

Images go to every image encoder (vision when the kit has one, OCR, facts), audio to
the speech encoder, text stays as it is. All (part, encoder) jobs start at once in worker
threads: the heavy work in torch, onnxruntime and CTranslate2 releases the GIL, so a turn
with an image and a clip costs about as much as its slowest encoder. An encoder that
fails is reported and the run goes on with the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agentsdk.encoders.base import Encoder, Observation
from agentsdk.errors import AgentSDKError, ModelNotFoundError
from agentsdk.events import EncoderFailed, EncoderFinished, EncoderStarted, Event
from agentsdk.kit import Kit
from agentsdk.media import Audio, Image
from agentsdk.messages import Text

__all__ = ["Perception", "Router"]

Part = Text | Image | Audio


@dataclass(frozen=True, slots=True)
class Perception:
    """What the encoders made of the parts."""

    observations: tuple[Observation, ...]
    """In part order, then encoder order."""
    failures: tuple[tuple[int, str, str], ...]
    """(part index, encoder, error) for each encoder that raised."""
    latencies: Mapping[str, float]
    """Seconds per "encoder:part" job."""
    seconds: float
    """Wall time of the whole phase."""


class Router:
    """Sends each part to the encoders of its modality."""

    def __init__(self, *, image: Sequence[Encoder] = (), audio: Sequence[Encoder] = ()) -> None:
        self.image = tuple(image)
        self.audio = tuple(audio)

    @classmethod
    def from_kit(cls, kit: Kit) -> Router:
        """vision (if the kit has one) + OCR + facts for images; speech for audio."""
        image: list[Encoder] = []
        with contextlib.suppress(ModelNotFoundError):  # no vision: OCR and facts still help
            image.append(kit.vision)
        image += [kit.ocr, kit.facts]
        return cls(image=image, audio=[kit.speech])

    def jobs(self, parts: Sequence[Part]) -> list[tuple[int, Encoder]]:
        """(part index, encoder) for every encoder that should see each part."""
        found: list[tuple[int, Encoder]] = []
        for index, part in enumerate(parts):
            encoders = (
                self.image
                if isinstance(part, Image)
                else (self.audio if isinstance(part, Audio) else ())
            )
            found += [(index, encoder) for encoder in encoders]
        return found

    async def perceive(
        self,
        parts: Sequence[Part],
        emit: Callable[[Event], None],
        clock: Callable[[], float],
        run_id: str,
    ) -> Perception:
        """Run every job concurrently; emit started/finished/failed events as they happen."""
        started = time.perf_counter()
        jobs = self.jobs(parts)

        async def one(index: int, encoder: Encoder) -> Observation | tuple[int, str, str]:
            emit(EncoderStarted(run_id=run_id, time=clock(), encoder=encoder.name, part=index))
            began = time.perf_counter()
            try:
                part = parts[index]
                assert not isinstance(part, Text)
                observation = await asyncio.to_thread(encoder.encode, part)
            except (AgentSDKError, RuntimeError, ValueError, OSError) as exc:
                message = f"{type(exc).__name__}: {exc}"
                emit(
                    EncoderFailed(
                        run_id=run_id, time=clock(), encoder=encoder.name, part=index, error=message
                    )
                )
                return (index, encoder.name, message)
            seconds = time.perf_counter() - began
            emit(
                EncoderFinished(
                    run_id=run_id,
                    time=clock(),
                    encoder=encoder.name,
                    part=index,
                    observation=observation,
                    seconds=seconds,
                )
            )
            latencies[f"{encoder.name}:{index}"] = seconds
            return observation

        latencies: dict[str, float] = {}
        results = await asyncio.gather(*(one(index, encoder) for index, encoder in jobs))
        return Perception(
            observations=tuple(r for r in results if isinstance(r, Observation)),
            failures=tuple(r for r in results if not isinstance(r, Observation)),
            latencies=latencies,
            seconds=time.perf_counter() - started,
        )
