"""Speaking while the answer is written (`stream(..., speak=True)`): sentences are cut as
they complete, each is spoken while the model goes on, and the result joins them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator, Sequence

import numpy as np
import pytest

from agentsdk import Agent, Audio, Message, ScriptedModel, ToolCall, tool
from agentsdk.events import RunFinished, SpeechChunk, TokenDelta
from agentsdk.models.base import GenerationSettings, ModelResponse, ModelStream, ToolSchema
from agentsdk.run.speaking import PAUSE_SECONDS, SentenceCutter, join_speech

RATE = 16_000


class Voice:
    """A voice that says each character as 10 ms of a tone, and notes what it said."""

    name = "test:tone"
    sample_rate = RATE

    def __init__(self) -> None:
        self.said: list[str] = []
        self.first_said = threading.Event()

    def synthesize(self, text: str) -> Audio:
        self.said.append(text)
        self.first_said.set()
        samples = np.full(len(text) * RATE // 100, 0.1, np.float32)
        return Audio(samples, sample_rate=RATE)


class Waiting(ScriptedModel):
    """Writes its first sentence, then waits until the voice has said something before
    it writes the rest: a run that spoke only at the end would wait in vain."""

    def __init__(self, first: str, rest: str, voice: Voice) -> None:
        super().__init__([first + rest])
        self.first, self.rest, self.voice = first, rest, voice
        self.spoke_while_writing: bool | None = None

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSchema] = (),
        settings: GenerationSettings | None = None,
    ) -> ModelStream:
        response = self.generate(messages, tools=tools, settings=settings)

        def pieces() -> Generator[str, None, ModelResponse]:
            yield self.first
            self.spoke_while_writing = self.voice.first_said.wait(timeout=10)
            yield self.rest
            return response

        return ModelStream(pieces())


@pytest.mark.parametrize(
    ("pieces", "sentences", "rest"),
    [
        (["The total is 25.45. ", "Shall I pay it?"], ["The total is 25.45."], "Shall I pay it?"),
        (["Yes", ".\n", "No"], ["Yes."], "No"),
        (['He said "go." ', "Then"], ['He said "go."'], "Then"),
        (["3.5 plus 1.5 is 5"], [], "3.5 plus 1.5 is 5"),  # points in numbers do not cut
    ],
)
def test_sentences_are_cut_as_they_complete(
    pieces: list[str], sentences: list[str], rest: str
) -> None:
    cutter = SentenceCutter()
    done = [s for piece in pieces for s in cutter.feed(piece)]
    assert done == sentences
    assert cutter.flush() == rest and cutter.flush() == ""


def test_a_long_opening_sentence_may_end_at_a_clause_only_the_first() -> None:
    cutter = SentenceCutter(first_clause=20)
    opening = "Before anything else, and this matters, "
    assert cutter.feed(opening) == ["Before anything else,"]
    assert cutter.feed("we wait, then we pay") == []  # later pieces end at sentences
    assert cutter.flush() == "and this matters, we wait, then we pay"


def test_join_speech_puts_a_pause_between_chunks() -> None:
    one = Audio(np.ones(RATE, np.float32) * 0.1, sample_rate=RATE)
    joined = join_speech([one, one])
    assert joined is not None
    assert joined.duration == pytest.approx(2 + PAUSE_SECONDS)
    assert join_speech([]) is None


def test_the_first_sentence_is_spoken_while_the_rest_is_written() -> None:
    voice = Voice()
    model = Waiting("The total is 25.45. ", "Shall I pay it now?", voice)
    agent = Agent(model=model, voice=voice)
    events = list(agent.stream_sync("total?", speak=True))
    assert model.spoke_while_writing is True
    chunks = [e for e in events if isinstance(e, SpeechChunk)]
    assert [(c.index, c.text) for c in chunks] == [
        (0, "The total is 25.45."),
        (1, "Shall I pay it now?"),
    ]
    deltas = [e.text for e in events if isinstance(e, TokenDelta)]
    assert "".join(deltas) == "The total is 25.45. Shall I pay it now?"
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.result.text.endswith("now?")
    speech = finished.result.speech
    assert speech is not None
    said = sum(c.audio.duration for c in chunks) + PAUSE_SECONDS
    assert speech.duration == pytest.approx(said)
    assert chunks[0].to_dict()["seconds"] == pytest.approx(chunks[0].audio.duration)


def test_async_stream_speaks_too() -> None:
    voice = Voice()
    agent = Agent(model=ScriptedModel(["One. Two."]), voice=voice)

    async def collect() -> list[object]:
        return [event async for event in agent.stream("count", speak=True)]

    events = asyncio.run(collect())
    assert [e.text for e in events if isinstance(e, SpeechChunk)] == ["One.", "Two."]
    assert voice.said == ["One.", "Two."]


def test_without_speak_nothing_is_said() -> None:
    voice = Voice()
    events = list(Agent(model=ScriptedModel(["One."]), voice=voice).stream_sync("count"))
    assert not any(isinstance(e, SpeechChunk) for e in events) and voice.said == []
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.result.speech is None


@tool(approval="always")
def refund(amount: float) -> str:
    """Refund an amount.

    Args:
        amount: How much.
    """
    return f"refunded {amount:.2f}"


def test_a_paused_run_says_nothing() -> None:
    voice = Voice()
    model = ScriptedModel([ToolCall("refund", {"amount": 5.0})])
    events = list(Agent(model=model, tools=[refund], voice=voice).stream_sync("x", speak=True))
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.result.paused
    assert finished.result.speech is None and voice.said == []
