"""Running an agent: `run`, `run_sync`, `stream`, `stream_sync`, `resume` (the
`RunResult` they return is `agentsdk.run.result`'s, re-exported here).

The loop itself lives in `agentsdk.run._loop`, in phases named for what they do: perceive
(encoders), fuse (prompt), think (model turn), act (tools).
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import queue
import signal
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError
from agentsdk.events import Event, RunFinished
from agentsdk.kit import Kit
from agentsdk.media import MediaPart
from agentsdk.messages import Message, Part, Text
from agentsdk.run._drain import drain
from agentsdk.run._loop import execute
from agentsdk.run._loop import resume as go_on
from agentsdk.run.result import Earlier, RunResult
from agentsdk.run.speaking import speaking
from agentsdk.voices import SpeechSynthesizer

if TYPE_CHECKING:
    from agentsdk.agent import Agent
    from agentsdk.run.state import RunState

__all__ = [
    "Earlier",
    "Inputs",
    "RunResult",
    "as_parts",
    "resume",
    "resume_sync",
    "run",
    "run_sync",
    "stream",
    "stream_sync",
    "voice_of",
]

Inputs = str | Part | Message | Mapping[str, Any] | Sequence[str | Part]


def as_parts(inputs: Inputs) -> list[Part]:
    """Strings become `Text`; media parts (`Image`, `Audio`...) and `Text` pass through; a
    user `Message` gives its text and media, and so does an OpenAI-style user message dict
    (`{"role": "user", "content": "..." or [{"type": "text", "text": "..."}, ...]}`)."""
    if isinstance(inputs, Message):
        return _message_parts(inputs)
    if isinstance(inputs, Mapping):
        return _message_parts(_dict_message(inputs))
    items = [inputs] if isinstance(inputs, str | Text | MediaPart) else list(inputs)
    parts: list[Part] = []
    for item in items:
        if isinstance(item, str):
            parts.append(Text(item))
        elif isinstance(item, Text | MediaPart):
            parts.append(item)
        else:
            raise ConfigurationError(
                f"cannot use {type(item).__name__} as an input; pass text, Image(...) or "
                "Audio(...) (wrap a file path: Image('photo.jpg'), Audio('clip.wav'))"
            )
    if not parts:
        raise ConfigurationError("a run needs at least one input")
    return parts


def _message_parts(message: Message) -> list[Part]:
    if message.role != "user":
        raise ConfigurationError(
            f"a run starts from the user's input, not a {message.role!r} message; pass "
            "earlier turns as history=..."
        )
    parts: list[Part] = [Text(message.content)] if message.content.strip() else []
    parts += list(message.media)
    if not parts:
        raise ConfigurationError("a run needs at least one input")
    return parts


def _dict_message(data: Mapping[str, Any]) -> Message:
    """An OpenAI-style user message dict as a `Message` (text parts only)."""
    if set(data) - {"role", "content", "name"} or data.get("role") != "user":
        raise ConfigurationError(
            "a mapping input must be an OpenAI-style user message, "
            f'{{"role": "user", "content": ...}}; got keys {sorted(map(str, data))}'
        )
    content = data.get("content")
    if isinstance(content, str):
        return Message.user(content)
    if isinstance(content, list):
        texts = []
        for part in content:
            if not (isinstance(part, Mapping) and part.get("type") == "text"):
                raise ConfigurationError(
                    "only text parts are read from a message dict; pass images and audio as "
                    "Image(...) and Audio(...)"
                )
            texts.append(str(part.get("text", "")))
        return Message.user("\n".join(texts))
    raise ConfigurationError("a user message's content must be a string or a list of parts")


async def run(
    agent: Agent,
    inputs: Inputs,
    *,
    thread_id: str | None = None,
    history: Earlier | None = None,
    speak: bool = False,
) -> RunResult:
    """Run `agent` on `inputs` to the end, or until a person must decide. A `thread_id`
    the checkpointer knows continues that conversation; `history` continues this one.
    `speak=True`: a finished run's answer is also spoken, in `result.speech` (the voice
    is found before the run starts, so a missing one fails before anything runs)."""
    voice = voice_of(agent) if speak else None
    result = await execute(agent, as_parts(inputs), emit=None, thread_id=thread_id, history=history)
    return await _spoken(voice, result) if voice is not None else result


def voice_of(agent: Agent) -> SpeechSynthesizer:
    """The voice that speaks `agent`'s answers: its own, else its kit's, else the stock
    voice (`Kit.voice`)."""
    if agent.voice is not None:
        return agent.voice
    return (agent.kit if agent.kit is not None else Kit.stock()).voice


async def _spoken(voice: SpeechSynthesizer, result: RunResult) -> RunResult:
    """`result` with its answer spoken (`speech`), synthesised in a worker thread; a
    paused run, or an empty answer, as it is."""
    if result.paused or not result.text.strip():
        return result
    speech = await asyncio.to_thread(voice.synthesize, result.text)
    return dataclasses.replace(result, speech=speech)


def _state_of(agent: Agent, state: RunState | str) -> RunState:
    if not isinstance(state, str):
        return state
    if agent.checkpointer is None:
        raise ConfigurationError(
            f"cannot resume thread {state!r}: the agent has no checkpointer; pass the RunState "
            "itself, or give the agent a checkpointer (e.g. SQLiteCheckpointStore)"
        )
    found = agent.checkpointer.load(state)
    if found is None:
        raise ConfigurationError(f"no saved run for thread {state!r} in {agent.checkpointer!r}")
    return found


async def resume(agent: Agent, state: RunState | str, *, speak: bool = False) -> RunResult:
    """Go on with a paused run (a `RunState`, or a thread id of the agent's checkpointer);
    `speak=True`: a finished run's answer is also spoken, in `result.speech`."""
    voice = voice_of(agent) if speak else None
    result = await go_on(agent, _state_of(agent, state), emit=None)
    return await _spoken(voice, result) if voice is not None else result


_local = threading.local()


def _runner() -> asyncio.Runner:
    """This thread's event loop for blocking runs, kept between runs: making a loop and
    its worker threads anew for every run would cost more than the run itself."""
    runner: asyncio.Runner | None = getattr(_local, "runner", None)
    if runner is None:
        runner = _local.runner = asyncio.Runner()
        atexit.register(runner.close)
    return runner


def _blocking(work: Coroutine[Any, Any, RunResult], name: str) -> RunResult:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # no loop here: good (run outside the handler, so errors are not chained)
    else:
        work.close()
        raise ConfigurationError(
            f"agent.{name}() was called inside an event loop: use await agent.a{name}()"
        )
    loop = _runner().get_loop()
    task = loop.create_task(work)
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return loop.run_until_complete(task)
    handler = _CancelOnInterrupt(task)
    signal.signal(signal.SIGINT, handler)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        if handler.interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        if signal.getsignal(signal.SIGINT) is handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)


class _CancelOnInterrupt:
    """Ctrl-C during a blocking run cancels the run, which cleans up (its lease is
    released, its state saved), and then raises KeyboardInterrupt; a second Ctrl-C raises
    at once. This is `asyncio.Runner.run`'s handling, without the repr of the task that
    Runner.run has Python 3.11's `signal.getsignal` make on every run (its handler is a
    `functools.partial` holding the task)."""

    __slots__ = ("interrupted", "task")

    def __init__(self, task: asyncio.Task[RunResult]) -> None:
        self.task = task
        self.interrupted = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.interrupted or self.task.done():
            raise KeyboardInterrupt
        self.interrupted = True
        self.task.cancel()
        self.task.get_loop().call_soon_threadsafe(lambda: None)  # wake the loop up

    def __repr__(self) -> str:
        return "<cancel the blocking run on Ctrl-C>"


def run_sync(
    agent: Agent,
    inputs: Inputs,
    *,
    thread_id: str | None = None,
    history: Earlier | None = None,
    speak: bool = False,
) -> RunResult:
    """`run` for code without an event loop."""
    work = run(agent, inputs, thread_id=thread_id, history=history, speak=speak)
    return _blocking(work, "run")


def resume_sync(agent: Agent, state: RunState | str, *, speak: bool = False) -> RunResult:
    """`resume` for code without an event loop."""
    return _blocking(resume(agent, state, speak=speak), "resume")


async def stream(
    agent: Agent,
    inputs: Inputs,
    *,
    thread_id: str | None = None,
    history: Earlier | None = None,
    speak: bool = False,
) -> AsyncIterator[Event]:
    """Events as they happen; the last one is `RunFinished`. `speak=True`: each sentence
    of the answer is spoken as soon as it is written (`SpeechChunk` events, see
    `agentsdk.run.speaking`), and the result's `speech` holds them all."""
    if speak:
        voice = voice_of(agent)  # found first: a missing voice fails before the run
        plain = stream(agent, inputs, thread_id=thread_id, history=history)
        async for event in speaking(plain, voice):
            yield event
        return
    parts = as_parts(inputs)
    events: asyncio.Queue[Event | BaseException | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def emit(event: Event) -> None:  # may be called from worker threads
        loop.call_soon_threadsafe(events.put_nowait, event)

    async def produce() -> None:
        try:
            await execute(agent, parts, emit=emit, thread_id=thread_id, history=history)
        except BaseException as exc:  # handed to the consumer
            loop.call_soon_threadsafe(events.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(events.put_nowait, None)

    async for item in drain(events, produce()):
        yield item


def stream_sync(
    agent: Agent,
    inputs: Inputs,
    *,
    thread_id: str | None = None,
    history: Earlier | None = None,
    speak: bool = False,
) -> Iterator[Event]:
    """`stream` for code without an event loop: the run goes on in a background thread."""
    parts = as_parts(inputs)
    if speak:
        voice_of(agent)  # a missing voice fails here, in the caller's thread
    events: queue.Queue[Event | BaseException | None] = queue.Queue()

    async def consume() -> None:
        try:
            found = stream(agent, parts, thread_id=thread_id, history=history, speak=speak)
            async for event in found:
                events.put(event)
        except BaseException as exc:
            events.put(exc)
        finally:
            events.put(None)

    worker = threading.Thread(target=asyncio.run, args=(consume(),), daemon=True)
    worker.start()
    while (item := events.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()


def final_result(events: Sequence[Event]) -> RunResult:
    """The result carried by the `RunFinished` event of a stream."""
    for event in reversed(events):
        if isinstance(event, RunFinished):
            return event.result
    raise ConfigurationError("the events hold no RunFinished")
