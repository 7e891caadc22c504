"""An agent as a LangChain Runnable: inputs LangChain gives, the answer (or result) out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import RunnableLambda

from agentsdk import Agent, ConfigurationError, FunctionModel, Message, SQLiteCheckpointStore
from agentsdk.run import RunResult


def echo(messages: list[Message]) -> str:
    """Answers with what the person said last, and how many turns came before."""
    said = [m for m in messages if m.role == "user"]
    return f"{said[-1].content} ({len(said) - 1} before)"


def agent(**options: object) -> Agent:
    return Agent(model=FunctionModel(echo), **options)  # type: ignore[arg-type]


def test_a_prompt_template_feeds_the_agent_and_the_answer_flows_on() -> None:
    chain = (
        PromptTemplate.from_template("Where is order {order}?")
        | agent().as_runnable()
        | RunnableLambda(str.upper)
    )
    assert chain.invoke({"order": "B-7"}) == "WHERE IS ORDER B-7? (0 BEFORE)"
    assert chain.batch([{"order": "1"}, {"order": "2"}]) == [
        "WHERE IS ORDER 1? (0 BEFORE)",
        "WHERE IS ORDER 2? (0 BEFORE)",
    ]


def test_chat_messages_carry_the_conversation() -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Be brief."), ("human", "hi"), ("ai", "hello"), ("human", "{q}")]
    )
    assert (prompt | agent().as_runnable()).invoke({"q": "and now?"}) == "and now? (1 before)"
    messages = [HumanMessage("one"), AIMessage("1"), HumanMessage("two")]
    assert agent().as_runnable().invoke(messages) == "two (1 before)"
    with pytest.raises(ConfigurationError, match="HumanMessage"):
        agent().as_runnable().invoke([HumanMessage("q"), AIMessage("a")])
    with pytest.raises(ConfigurationError, match="'input' key"):
        agent().as_runnable().invoke({"a": 1, "b": 2})
    assert agent().as_runnable().invoke([SystemMessage("x"), HumanMessage("y")]) == "y (0 before)"


def test_the_whole_result_and_streaming() -> None:
    whole = agent().as_runnable(output="result").invoke({"input": "total?"})
    assert isinstance(whole, RunResult) and whole.text == "total? (0 before)"
    pieces = list(agent().as_runnable().stream("a b c"))
    assert len(pieces) > 1 and "".join(pieces) == "a b c (0 before)"
    results = list(agent().as_runnable(output="result").stream("x"))
    assert len(results) == 1 and results[0].text == "x (0 before)"
    with pytest.raises(ConfigurationError, match="output"):
        agent().as_runnable(output="json")  # type: ignore[arg-type]


def test_async_forms() -> None:
    runnable = agent().as_runnable()

    async def both() -> tuple[str, list[str]]:
        answer = await runnable.ainvoke("ping")
        pieces = [piece async for piece in runnable.astream("p q")]
        return answer, pieces

    answer, pieces = asyncio.run(both())
    assert answer == "ping (0 before)" and "".join(pieces) == "p q (0 before)"


def test_a_thread_id_in_the_config_continues_the_stored_conversation(tmp_path: Path) -> None:
    runnable = agent(checkpointer=SQLiteCheckpointStore(tmp_path / "runs.db")).as_runnable()
    config = {"configurable": {"thread_id": "t1"}}
    assert runnable.invoke("first", config=config) == "first (0 before)"
    assert runnable.invoke("second", config=config) == "second (1 before)"
    assert runnable.invoke("elsewhere") == "elsewhere (0 before)"
