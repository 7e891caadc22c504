"""Answers spoken: `run(..., speak=True)` puts the answer, said by the agent's voice (else
the kit's), in `RunResult.speech`; paused runs and plain runs are not spoken."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import threading

import jiwer
import pytest
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from agentsdk import (
    Agent,
    Audio,
    ConfigurationError,
    Kit,
    MissingDependencyError,
    ScriptedModel,
    ToolCall,
    tool,
)
from agentsdk.run import RunResult, voice_of
from agentsdk.voices import EspeakVoice, HibariVoice

normalise = EnglishTextNormalizer({})
ANSWER = "Your total comes to 25 dollars and 45 cents. Would you like a printed receipt?"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


@tool(approval="always")
def refund(amount: float) -> str:
    """Refund an amount to the customer.

    Args:
        amount: How much.
    """
    return f"refunded {amount:.2f}"


class Recording:
    """A voice of one's own (any `SpeechSynthesizer`): espeak-ng, noting where it ran."""

    name = "recording"
    sample_rate = 22_050

    def __init__(self) -> None:
        self.voice = EspeakVoice()
        self.threads: list[threading.Thread] = []
        self.texts: list[str] = []

    def synthesize(self, text: str) -> Audio:
        self.threads.append(threading.current_thread())
        self.texts.append(text)
        return self.voice.synthesize(text)


def test_speech_is_a_last_field_that_defaults_to_none() -> None:
    assert [f.name for f in dataclasses.fields(RunResult)][-1] == "speech"
    result = Agent(model=ScriptedModel([ANSWER])).run("total?")  # no voice is even made
    assert result.speech is None


def test_the_voice_is_the_agents_else_the_kits_else_the_stock_one() -> None:
    mine = Recording()
    assert voice_of(Agent(model=ScriptedModel([]), voice=mine)) is mine
    kit = Kit(llm=ScriptedModel([]), voice=mine)
    assert voice_of(Agent(kit=kit)) is mine
    stock = voice_of(Agent(model=ScriptedModel([])))
    assert isinstance(stock, HibariVoice) and stock.name == "hibari:heart"
    with pytest.raises(ConfigurationError, match="SpeechSynthesizer"):
        Agent(voice="heart")  # type: ignore[arg-type]


@needs_espeak
def test_the_agents_voice_speaks_in_a_worker_thread() -> None:
    voice = Recording()
    result = Agent(model=ScriptedModel([ANSWER]), voice=voice).run("total?", speak=True)
    assert result.text == ANSWER and voice.texts == [ANSWER]
    assert isinstance(result.speech, Audio) and result.speech.sample_rate == 22_050
    assert result.speech.duration > 2.0
    assert voice.threads and voice.threads[0] is not threading.main_thread()


@needs_espeak
def test_arun_and_resume_speak_too() -> None:
    voice = Recording()
    agent = Agent(model=ScriptedModel([ANSWER]), voice=voice)
    result = asyncio.run(agent.arun("total?", speak=True))
    assert result.speech is not None and voice.texts == [ANSWER]

    agent = Agent(
        model=ScriptedModel([ToolCall("refund", {"amount": 5}), "Refunded five dollars."]),
        tools=[refund],
        voice=voice,
    )
    paused = agent.run("refund me", speak=True)
    assert paused.paused and paused.speech is None  # a paused run is not spoken
    assert voice.texts == [ANSWER]
    assert paused.state is not None
    done = agent.resume(paused.state.approve(paused.interruptions[0]), speak=True)
    assert done.text == "Refunded five dollars." and done.speech is not None
    assert voice.texts == [ANSWER, "Refunded five dollars."]


def test_a_paused_run_is_not_spoken_by_the_stock_voice() -> None:
    # not a `stock` test: had the run tried to speak, the stock voice's load would fail it
    agent = Agent(model=ScriptedModel([ToolCall("refund", {"amount": 5})]), tools=[refund])
    result = agent.run("refund me", speak=True)
    assert result.paused and result.speech is None


def test_an_empty_answer_is_not_spoken() -> None:
    result = Agent(model=ScriptedModel(["  "])).run("say nothing", speak=True)
    assert result.speech is None


@pytest.mark.stock
def test_the_spoken_answer_says_the_answer() -> None:
    result = Agent(model=ScriptedModel([ANSWER])).run("What is my total?", speak=True)
    assert result.speech is not None and result.speech.sample_rate == 24_000
    heard = Kit.stock().speech.encode(result.speech).text
    wer = jiwer.wer(normalise(ANSWER), normalise(heard))
    assert wer <= 0.1, (ANSWER, heard)


def test_without_a_voice_the_run_fails_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    import agentsdk.voices

    monkeypatch.setattr(agentsdk.voices, "hibari_installed", lambda: False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    model = ScriptedModel([ANSWER])
    with pytest.raises(MissingDependencyError, match="no voice to speak with"):
        Agent(model=model).run("total?", speak=True)
    assert model.calls == []  # nothing ran
    assert Agent(model=model).run("total?").text == ANSWER  # without speak: as before
