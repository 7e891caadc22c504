"""Speaking while the answer is still being written: the last stage of the voice loop.

`speaking` wraps a run's event stream. The answer's text (`TokenDelta`) is cut into
sentences as they complete (`SentenceCutter`); each sentence is synthesised in a worker
thread while the model goes on writing, and comes out as a `SpeechChunk` event, in order.
So the first audio is ready one sentence after the first token, not after the whole
answer and the whole synthesis. The closing `RunFinished` carries the result with every
chunk joined into `RunResult.speech`.

What is spoken is what was streamed; an answer that arrived without text deltas is
spoken from the finished result. A paused run, or an empty answer, says nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator

import numpy as np

from agentsdk.events import Event, RunFinished, SpeechChunk, TokenDelta
from agentsdk.media import Audio
from agentsdk.run._drain import drain
from agentsdk.voices import SpeechSynthesizer

__all__ = ["SentenceCutter", "join_speech", "speaking"]

# the space after a sentence's end (closing quotes and brackets stay with it), or a newline
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*(\s+)|(\n+)")
_CLAUSE_END = re.compile(r"[,;:](\s+)")
PAUSE_SECONDS = 0.2
"""Silence between the chunks when they are joined into `RunResult.speech`."""


class SentenceCutter:
    """Streamed text in, finished sentences out. The first piece may end at a clause
    ("First, ...") once it is `first_clause` characters long, so that a long opening
    sentence does not hold the first audio back; later pieces end at sentences."""

    def __init__(self, first_clause: int = 48) -> None:
        self._buffer = ""
        self._first_clause = first_clause
        self._cut_any = False

    def feed(self, text: str) -> list[str]:
        """The sentences `text` completes (in order), each stripped; none yet is []."""
        self._buffer += text
        done: list[str] = []
        while True:
            end = _SENTENCE_END.search(self._buffer)
            if end is None and not self._cut_any and len(self._buffer) >= self._first_clause:
                end = _CLAUSE_END.search(self._buffer, self._first_clause // 2)
            if end is None:
                return done
            space = 1 if end.group(1) is not None else 2
            piece, self._buffer = self._buffer[: end.start(space)], self._buffer[end.end(space) :]
            if piece.strip():
                done.append(piece.strip())
                self._cut_any = True

    def flush(self) -> str:
        """What is left (an unfinished last sentence), and the cutter emptied."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest


def join_speech(chunks: list[Audio], pause: float = PAUSE_SECONDS) -> Audio | None:
    """The chunks as one `Audio`, `pause` seconds of silence between them; None if none."""
    if not chunks:
        return None
    rate = chunks[0].sample_rate
    gap = np.zeros(round(pause * rate), np.float32)
    parts: list[np.ndarray] = []
    for chunk in chunks:
        parts += [gap, np.asarray(chunk.samples, np.float32)] if parts else [chunk.samples]
    return Audio(np.concatenate(parts), sample_rate=rate)


async def speaking(events: AsyncIterator[Event], voice: SpeechSynthesizer) -> AsyncIterator[Event]:
    """`events` as they come, with a `SpeechChunk` after each sentence of the answer is
    spoken, and `RunFinished` last, its result's `speech` the chunks joined."""
    out: asyncio.Queue[Event | BaseException | None] = asyncio.Queue()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()
    spoken: list[Audio] = []
    run_id, start = "", 0.0  # the run's, from its first event

    async def say() -> None:
        while (sentence := await sentences.get()) is not None:
            audio = await asyncio.to_thread(voice.synthesize, sentence)
            spoken.append(audio)
            await out.put(
                SpeechChunk(
                    run_id=run_id,
                    time=time.monotonic() - start,
                    text=sentence,
                    audio=audio,
                    index=len(spoken) - 1,
                )
            )

    async def pump() -> None:
        nonlocal run_id, start
        cutter, streamed, finished = SentenceCutter(), False, None
        speaker = asyncio.create_task(say())
        try:
            async for event in events:
                if not run_id:
                    run_id, start = event.run_id, time.monotonic() - event.time
                if isinstance(event, RunFinished):
                    finished = event
                    break
                if isinstance(event, TokenDelta) and event.text:
                    streamed = True
                    for sentence in cutter.feed(event.text):
                        await sentences.put(sentence)
                await out.put(event)
            if finished is not None and not finished.result.paused:
                rest = cutter.flush() if streamed else finished.result.text
                for sentence in SentenceCutter().feed(rest + "\n") if rest.strip() else []:
                    await sentences.put(sentence)
            await sentences.put(None)
            await speaker
            if finished is not None:
                speech = join_speech(spoken)
                result = finished.result
                if speech is not None:
                    result = dataclasses.replace(result, speech=speech)
                await out.put(dataclasses.replace(finished, result=result))
        except BaseException as exc:  # handed to the consumer
            speaker.cancel()
            await out.put(exc)
        finally:
            await out.put(None)

    async for item in drain(out, pump()):
        yield item
