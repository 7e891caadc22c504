"""A video as one timeline: what its frames show and read, and what its sound track says.

`VideoEncoder` is built from other encoders: the image encoders of a kit (vision, OCR,
facts) read the frames `Video.frames()` samples (the first, each scene change, and one
every few seconds), the speech encoder hears `Video.audio()`. What they perceived
becomes one `Observation` of kind "video", a timeline in time order:

    00:00 slide reads: Quarterly report | Revenue 42
    00:03 speaker says: Revenue grew by four percent.
    00:05 slide reads: Costs 17

A frame's reading is written only when it changed since that encoder's last one (a slide
shown for ten seconds is one line). Its confidence is the lowest of the parts'; its
details hold the timeline entries with their encoder and confidence, and the frame times.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentsdk.encoders.base import Encoder, Observation
from agentsdk.errors import ConfigurationError
from agentsdk.media import Media
from agentsdk.video import Video

__all__ = ["LABEL", "VideoEncoder"]

LABEL = "what the video shows and says (timeline)"
"""The section label fusion gives a video's timeline."""
PRIORITY = 3
"""As high as speech: a timeline is what was said and shown, the last to be dropped."""
VERBS = {
    "ocr": "slide reads",
    "vision": "picture shows",
    "facts": "frame is",
    "speech": "speaker says",
}
"""How each kind of observation is written in the timeline."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a timeline."""

    seconds: float
    kind: str
    text: str
    encoder: str
    confidence: float

    def render(self) -> str:
        minutes, seconds = divmod(int(self.seconds), 60)
        verb = VERBS.get(self.kind, self.kind)
        return f"{minutes:02d}:{seconds:02d} {verb}: {self.text}"


class VideoEncoder:
    """Frames to the image encoders, the sound track to the speech encoder; one timeline."""

    name = "video"
    modality = "video"

    def __init__(
        self,
        image: Sequence[Encoder] = (),
        speech: Encoder | None = None,
        *,
        every: float = 2.0,
    ) -> None:
        """`image`: encoders for the frames (vision, OCR, facts); `speech`: for the sound
        track; `every`: the longest gap, in seconds, between two frames read."""
        if every <= 0:
            raise ConfigurationError("every must be a positive number of seconds")
        self.image = tuple(image)
        self.speech = speech
        self.every = every

    @property
    def cache_key(self) -> str:
        parts = [e.cache_key for e in self.image]
        parts.append(self.speech.cache_key if self.speech is not None else "-")
        return f"video|every={self.every}|" + "|".join(parts)

    def encode(self, part: Media) -> Observation:
        if not isinstance(part, Video):
            raise ConfigurationError(f"the video encoder reads videos, not {part.modality}")
        entries = self._frame_entries(part) + self._speech_entries(part)
        entries.sort(key=lambda e: (e.seconds, e.kind != "speech"))
        models = sorted({e.encoder for e in entries})
        return Observation(
            kind="video",
            text="\n".join(e.render() for e in entries),
            confidence=min((e.confidence for e in entries), default=1.0),
            encoder=self.name,
            model="+".join(models),
            part_id=part.sha256,
            part_name=part.name,
            details={
                "timeline": [dataclasses.asdict(e) for e in entries],
                "frames": [t for t, _ in part.frames(self.every)],
                "duration": part.duration,
            },
            label=LABEL,
            priority=PRIORITY,
        )

    def _frame_entries(self, video: Video) -> list[Entry]:
        entries: list[Entry] = []
        last: dict[str, str] = {}
        for seconds, frame in video.frames(self.every):
            for encoder in self.image:
                seen = encoder.encode(frame)
                text = " | ".join(line.strip() for line in seen.text.splitlines() if line.strip())
                if not text or last.get(encoder.name) == text:
                    continue
                last[encoder.name] = text
                entries.append(Entry(seconds, seen.kind, text, encoder.name, seen.confidence))
        return entries

    def _speech_entries(self, video: Video) -> list[Entry]:
        sound = video.audio() if self.speech is not None else None
        if sound is None or self.speech is None:
            return []
        heard = self.speech.encode(sound)
        segments = [s for s in heard.details.get("segments") or () if _spoken(s)]
        if not segments:
            text = heard.text.strip()
            return [Entry(0.0, "speech", text, self.speech.name, heard.confidence)] if text else []
        return [
            Entry(
                float(s.get("start", 0.0)),
                "speech",
                str(s["text"]).strip(),
                self.speech.name,
                float(s.get("confidence", heard.confidence)),
            )
            for s in segments
        ]


def _spoken(segment: Any) -> bool:
    return isinstance(segment, dict) and bool(str(segment.get("text", "")).strip())
