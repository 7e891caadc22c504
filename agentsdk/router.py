"""Which encoders see which part, run concurrently.

Each media part goes to every encoder of its modality (`part.modality` ==
`encoder.modality`): images to vision (when the kit has one), OCR and facts, audio to
speech; text stays as it is. A new modality needs no change here. All (part, encoder)
jobs start at once in worker threads: the heavy work in torch, onnxruntime and
CTranslate2 releases the GIL, so a turn with an image and a clip costs about as much as
its slowest encoder. An encoder that fails is reported and the run goes on with the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from agentsdk.encoders.base import Encoder, Observation
from agentsdk.errors import AgentSDKError
from agentsdk.events import EncoderFailed, EncoderFinished, EncoderStarted, Event
from agentsdk.kit import Kit
from agentsdk.messages import Part, Text

__all__ = ["Perception", "Router"]


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
    """Sends each part to the encoders of its modality.

    `Router(encoders=[...])` groups encoders by their `modality`; `image=` and `audio=`
    are the same, kept for readability.
    """

    def __init__(
        self,
        *,
        image: Sequence[Encoder] = (),
        audio: Sequence[Encoder] = (),
        encoders: Sequence[Encoder] = (),
    ) -> None:
        grouped: dict[str, list[Encoder]] = {}
        for encoder in (*image, *audio, *encoders):
            grouped.setdefault(encoder.modality, []).append(encoder)
        self.by_modality: dict[str, tuple[Encoder, ...]] = {
            modality: tuple(found) for modality, found in grouped.items()
        }

    @property
    def encoders(self) -> tuple[Encoder, ...]:
        """Every encoder, of every modality."""
        return tuple(e for found in self.by_modality.values() for e in found)

    def reading(self, modality: str) -> tuple[Encoder, ...]:
        """The encoders of one modality (none: such parts cannot be perceived)."""
        return self.by_modality.get(modality, ())

    @property
    def image(self) -> tuple[Encoder, ...]:
        return self.reading("image")

    @property
    def audio(self) -> tuple[Encoder, ...]:
        return self.reading("audio")

    @classmethod
    def from_kit(cls, kit: Kit) -> Router:
        """The kit's encoders (`Kit.encoders`): vision if it has one, OCR, facts, speech."""
        return cls(encoders=kit.encoders())

    def jobs(self, parts: Sequence[Part]) -> list[tuple[int, Encoder]]:
        """(part index, encoder) for every encoder that should see each part."""
        found: list[tuple[int, Encoder]] = []
        for index, part in enumerate(parts):
            if not isinstance(part, Text):
                found += [(index, encoder) for encoder in self.reading(part.modality)]
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
