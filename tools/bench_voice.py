"""The voice loop: a spoken question to the first audio of the answer, on the stock kit.

Two pipelines, on the same agent, questions and machine, alternating:
- sequential: `agent.run(parts, speak=True)`: hear, read, answer, then speak the answer;
- streamed: `agent.stream_sync(parts, speak=True)`: the first sentence is spoken as soon
  as it is written (`SpeechChunk`), while the rest is generated.

Each round's parts are new (one audio sample and one pixel nudged), so the observation
cache never answers for the encoders. Cases: a spoken question alone (said by the stock
voice, heard by Whisper: arithmetic for the calculator), the demo's spoken question with
its receipt photo, and a typed request answered in several sentences.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np


def _fresh(parts: list[Any], round_: int) -> list[Any]:
    """The same parts, each changed imperceptibly so that no cache knows them."""
    from agentsdk import Audio, Image

    out: list[Any] = []
    for part in parts:
        if isinstance(part, Audio):
            samples = np.array(part.samples, np.float32)
            samples[0] += 1e-4 * (round_ + 1)
            out.append(Audio(samples, sample_rate=part.sample_rate))
        elif isinstance(part, Image):
            pixels = np.array(part.to_array())
            pixels[0, 0, 0] = (int(pixels[0, 0, 0]) + round_ + 1) % 256
            out.append(Image(pixels))
        else:
            out.append(part)
    return out


def _first_audio(agent: Any, parts: list[Any]) -> dict[str, float]:
    from agentsdk.events import RunFinished, SpeechChunk, TokenDelta

    start = time.perf_counter()
    first_token = first_audio = float("nan")
    for event in agent.stream_sync(parts, speak=True):
        now = time.perf_counter() - start
        if isinstance(event, TokenDelta) and first_token != first_token:
            first_token = now
        if isinstance(event, SpeechChunk) and first_audio != first_audio:
            first_audio = now
        if isinstance(event, RunFinished):
            return {"first_token": first_token, "first_audio": first_audio, "answer": 0.0}
    raise RuntimeError("the stream ended without RunFinished")


def bench_voice(rounds: int) -> dict[str, Any]:
    from agentsdk import Agent, Audio, GenerationSettings, Image, Kit, Limits
    from agentsdk.cli.demo import DEMO_INSTRUCTIONS, default_assets
    from agentsdk.toolbox import calculator

    receipt, question = default_assets()
    spoken = Kit.stock().voice.synthesize("What is twelve times three?")
    cases = {
        "speech_only": [Audio(spoken.wav_bytes())],
        "speech_and_image": [Image(receipt), Audio(question)],
        # a typed request the model answers in several sentences: where streaming speech
        # gains, since the stock kit's answers to the two above are one short value
        "long_answer": ["Describe a sunny day at the beach in three sentences."],
    }
    agent = Agent(
        tools=[calculator],
        instructions=DEMO_INSTRUCTIONS,
        limits=Limits(max_steps=3),
        settings=GenerationSettings(max_tokens=96),
    )
    out: dict[str, Any] = {}
    for name, parts in cases.items():
        agent.run(_fresh(parts, 1000), speak=True)  # warm: models loaded, first call paid
        sequential: list[float] = []
        streamed: list[float] = []
        tokens: list[float] = []
        answer = ""
        for round_ in range(rounds):
            start = time.perf_counter()
            result = agent.run(_fresh(parts, 2 * round_), speak=True)
            sequential.append(time.perf_counter() - start)
            answer = result.text
            timing = _first_audio(agent, _fresh(parts, 2 * round_ + 1))
            streamed.append(timing["first_audio"])
            tokens.append(timing["first_token"])
        seq, fast = statistics.median(sequential), statistics.median(streamed)
        out[name] = {
            "answer": answer,
            "sequential_first_audio_s": round(seq, 3),
            "streamed_first_token_s": round(statistics.median(tokens), 3),
            "streamed_first_audio_s": round(fast, 3),
            "streamed_vs_sequential": round(fast / seq, 2),
        }
    return out


def print_voice(result: dict[str, Any]) -> None:
    print("\nvoice loop (median first audio, seconds)")
    print("| case | answer | sequential | streamed: first token | streamed: first audio | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, row in result.items():
        print(
            f"| {name} | {row['answer']} | {row['sequential_first_audio_s']} | "
            f"{row['streamed_first_token_s']} | {row['streamed_first_audio_s']} | "
            f"{row['streamed_vs_sequential']} |"
        )
