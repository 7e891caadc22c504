"""An agent as a LangChain `Runnable`: `agent.as_runnable()` (or `AgentRunnable(agent)`).

It goes anywhere a Runnable goes: after a prompt template, in `RunnableSequence`s, with
`invoke`, `ainvoke`, `batch`, `stream` and `astream`. What comes in:

- a string, or a list of parts (`"What is this?"`, `Image(...)`, `Audio(...)`);
- a prompt value (`PromptTemplate` gives one): its text; a chat prompt value
  (`ChatPromptTemplate`): its messages, as below;
- LangChain messages: the last must be the person's (`HumanMessage`); the ones before it
  are the conversation so far (system messages are left to the agent's instructions);
- a dict with one key (or an "input" key): its value, as above.

What goes out: the answer's text (`output="text"`, the default), or the whole
`RunResult` (`output="result"`). `stream` yields the answer's text as it is written.
`config={"configurable": {"thread_id": "t1"}}` runs on a thread of the agent's
checkpoint store (its conversation goes on), as in LangGraph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue, PromptValue
from langchain_core.runnables import Runnable, RunnableConfig

from agentsdk.agent import Agent
from agentsdk.errors import ConfigurationError
from agentsdk.events import RunFinished, TokenDelta
from agentsdk.messages import Message
from agentsdk.run import Inputs, RunResult

__all__ = ["AgentRunnable"]


class AgentRunnable(Runnable[Any, Any]):
    """`agent` as a LangChain Runnable (see the module docstring)."""

    def __init__(self, agent: Agent, *, output: Literal["text", "result"] = "text") -> None:
        if output not in ("text", "result"):
            raise ConfigurationError(f"output must be 'text' or 'result', not {output!r}")
        self.agent = agent
        self.output = output
        self.name = "agentsdk_agent"

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        inputs, history = _inputs(input)
        result = self.agent.run(inputs, thread_id=_thread(config), history=history)
        return self._out(result)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        inputs, history = _inputs(input)
        result = await self.agent.arun(inputs, thread_id=_thread(config), history=history)
        return self._out(result)

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        inputs, history = _inputs(input)
        events = self.agent.stream_sync(inputs, thread_id=_thread(config), history=history)
        for event in events:
            if isinstance(event, TokenDelta) and self.output == "text" and event.text:
                yield event.text
            elif isinstance(event, RunFinished) and self.output == "result":
                yield event.result

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        inputs, history = _inputs(input)
        events = self.agent.stream(inputs, thread_id=_thread(config), history=history)
        async for event in events:
            if isinstance(event, TokenDelta) and self.output == "text" and event.text:
                yield event.text
            elif isinstance(event, RunFinished) and self.output == "result":
                yield event.result

    def _out(self, result: RunResult) -> Any:
        return result if self.output == "result" else result.text


def _thread(config: RunnableConfig | None) -> str | None:
    configurable = (config or {}).get("configurable") or {}
    thread = configurable.get("thread_id")
    return None if thread is None else str(thread)


def _inputs(value: Any) -> tuple[Inputs, list[Message] | None]:
    """What to run on, and the conversation before it (None: none given)."""
    if isinstance(value, Mapping):
        if "input" in value:
            return _inputs(value["input"])
        if len(value) == 1:
            return _inputs(next(iter(value.values())))
        raise ConfigurationError(
            f"a dict input needs an 'input' key or a single key, not {sorted(value)}"
        )
    if isinstance(value, ChatPromptValue):
        return _from_messages(value.to_messages())
    if isinstance(value, PromptValue):
        return value.to_string(), None
    if isinstance(value, BaseMessage):
        return _from_messages([value])
    listed = isinstance(value, Sequence) and not isinstance(value, str) and bool(value)
    if listed and all(isinstance(item, BaseMessage) for item in value):
        return _from_messages(list(value))
    return value, None


def _from_messages(messages: list[BaseMessage]) -> tuple[Inputs, list[Message] | None]:
    said = [m for m in messages if not isinstance(m, SystemMessage)]
    if not said or not isinstance(said[-1], HumanMessage):
        raise ConfigurationError("the last LangChain message must be the person's (HumanMessage)")
    earlier: list[Message] = []
    for message in said[:-1]:
        if isinstance(message, HumanMessage):
            earlier.append(Message.user(str(message.text)))
        elif isinstance(message, AIMessage):
            earlier.append(Message.assistant(str(message.text)))
        else:
            raise ConfigurationError(
                f"cannot carry a {type(message).__name__} into the conversation: only human "
                "and AI messages (and system messages, left to the agent's instructions)"
            )
    return str(said[-1].text), earlier or None
