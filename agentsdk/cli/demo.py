"""`agentsdk demo`: the whole flow on the stock kit, offline, printed step by step.

A receipt image and a spoken question go in; OCR reads the receipt, Whisper hears the
question, fusion builds one prompt, SmolLM2 calls the calculator, and the answer comes
back with what was heard, what was read, the tool call and its result, and timings.
With `--speak OUT.wav` the stock voice also speaks the answer into a WAV file.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from agentsdk._files import package_file
from agentsdk.agent import Agent, Limits
from agentsdk.errors import ConfigurationError
from agentsdk.events import (
    EncoderFailed,
    EncoderFinished,
    Event,
    PromptBuilt,
    RunFinished,
    TokenDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from agentsdk.kit import Kit
from agentsdk.media import Audio, Image
from agentsdk.models.base import GenerationSettings
from agentsdk.run import RunResult

__all__ = ["DEMO_INSTRUCTIONS", "check_speak_path", "default_assets", "run_demo"]

DEMO_INSTRUCTIONS = (
    "You help people with their receipts. The user's question was spoken and the receipt "
    "was read by OCR; both are below. To add up the prices, call the calculator with the "
    "prices from the receipt joined by +. After the tool result, answer in one short sentence."
)


def default_assets() -> tuple[Path, Path]:
    """The bundled demo receipt and question. They ship in the package (agentsdk/assets,
    package data), so the demo runs from a wheel and from any directory, not only from
    a checkout."""
    return package_file("assets", "receipt.png"), package_file("assets", "question.wav")


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) or prefix + "(nothing)"


def _load_kit(kit: Kit, out: TextIO) -> None:
    """Load each model up front, saying so, so the run itself shows real latencies."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("language model (SmolLM2-135M)", lambda: kit.llm),
        ("speech (Whisper tiny.en)", lambda: kit.speech.encode),
        ("OCR (PP-OCRv6)", lambda: kit.ocr.encode),
    ]
    for label, load in steps:
        print(f"  loading {label} ...", end="", flush=True, file=out)
        began = time.perf_counter()
        load()
        print(f" ready in {time.perf_counter() - began:.1f} s", file=out, flush=True)


def _show(event: Event, out: TextIO, state: dict[str, bool]) -> None:
    if isinstance(event, EncoderFinished):
        obs = event.observation
        verb = {"speech": "heard", "ocr": "read", "facts": "saw", "vision": "saw"}[obs.kind]
        print(
            f"\n{verb} ({obs.encoder}, confidence {obs.confidence:.2f}, {event.seconds:.2f} s):",
            file=out,
        )
        print(_indent(obs.text), file=out)
    elif isinstance(event, EncoderFailed):
        print(f"\n{event.encoder} failed on part {event.part}: {event.error}", file=out)
    elif isinstance(event, PromptBuilt):
        dropped = f", dropped {len(event.dropped)}" if event.dropped else ""
        print(f"\nprompt: {event.sections} sections, {event.tokens} tokens{dropped}", file=out)
    elif isinstance(event, TokenDelta):
        if not state.get("writing"):
            print("\nmodel: ", end="", file=out)
            state["writing"] = True
        print(event.text, end="", flush=True, file=out)
        return
    elif isinstance(event, ToolCallStarted):
        arguments = ", ".join(f"{k}={v!r}" for k, v in event.call.arguments.items())
        print(f"\ntool call: {event.call.name}({arguments})", file=out)
    elif isinstance(event, ToolCallFinished):
        marker = "error" if event.result.is_error else "result"
        print(f"tool {marker}: {event.result.content}  ({event.seconds * 1000:.1f} ms)", file=out)
    if state.get("writing") and not isinstance(event, TokenDelta):
        state["writing"] = False


def check_speak_path(path: Path) -> None:
    """Refuse a `--speak` target that cannot be written, before any model loads."""
    if path.is_dir() or not path.parent.is_dir():
        raise ConfigurationError(
            f"--speak {path}: give a WAV file to write in a folder that exists"
        )


def run_demo(
    image: Path | None = None,
    audio: Path | None = None,
    *,
    out: TextIO = sys.stdout,
    speak: Path | None = None,
) -> RunResult:
    """Run the demo and print every step to `out`; with `speak`, the answer is spoken
    by the kit's voice into that WAV file too (and is the result's `speech`)."""
    from agentsdk.toolbox import calculator

    default_image, default_audio = default_assets()
    image, audio = image or default_image, audio or default_audio
    for path in (image, audio):
        if not path.is_file():
            raise ConfigurationError(
                f"demo input {path} not found; pass --image and --audio with files that "
                "exist (or neither, for the bundled receipt and question)"
            )
    if speak is not None:
        check_speak_path(speak)
    started = time.perf_counter()
    print("agentsdk demo: a receipt and a spoken question, on the stock kit (offline)", file=out)
    kit = Kit.stock()
    _load_kit(kit, out)
    if speak is not None:
        _load_voice(kit, out)
    print(f"\ninputs: {image.name} (image), {audio.name} (audio)", file=out)
    agent = Agent(
        kit=kit,
        tools=[calculator],
        instructions=DEMO_INSTRUCTIONS,
        limits=Limits(max_steps=3),
        settings=GenerationSettings(max_tokens=96),
    )
    state: dict[str, bool] = {}
    result: RunResult | None = None
    for event in agent.stream_sync([Image(image), Audio(audio)]):
        _show(event, out, state)
        if isinstance(event, RunFinished):
            result = event.result
    assert result is not None
    print(f"\n\nanswer: {result.text.strip() or '(no answer)'}", file=out)
    timings = result.timings
    print(
        f"timings: perceive {timings['perceive']:.2f} s (encoders in parallel), "
        f"model {timings['model']:.2f} s over {result.steps} turns, tools "
        f"{timings['tools'] * 1000:.1f} ms, run {timings['total']:.2f} s, "
        f"whole demo {time.perf_counter() - started:.1f} s",
        file=out,
    )
    if speak is not None:
        result = _speak(kit, result, speak, out)
    return result


def _load_voice(kit: Kit, out: TextIO) -> None:
    print(f"  loading voice ({kit.voice.name}) ...", end="", flush=True, file=out)
    began = time.perf_counter()
    kit.voice.synthesize("Ready.")  # loads the model, once per process
    print(f" ready in {time.perf_counter() - began:.1f} s", file=out, flush=True)


def _speak(kit: Kit, result: RunResult, path: Path, out: TextIO) -> RunResult:
    """Speak the answer into `path` (a 16-bit WAV); the result with its `speech`."""
    if not result.text.strip():
        print("spoken: nothing (the answer is empty); no file written", file=out)
        return result
    began = time.perf_counter()
    speech = kit.voice.synthesize(result.text.strip())
    seconds = time.perf_counter() - began
    path.write_bytes(speech.wav_bytes())
    print(
        f"spoken: {path} ({speech.duration:.1f} s of audio at {speech.sample_rate} Hz, "
        f"synthesised by {kit.voice.name} in {seconds:.2f} s)",
        file=out,
    )
    return dataclasses.replace(result, speech=speech)
