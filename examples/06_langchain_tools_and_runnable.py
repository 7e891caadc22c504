"""06: LangChain tools in an agent, the agent in a LangChain chain. Tools written with
langchain-core's `@tool` go into `Agent(tools=[...])` as they are (their schema comes from
langchain-core); the stock agent calls them. Then the agent becomes a LangChain
`Runnable` (`agent.as_runnable()`) and is piped after a prompt template, so `invoke` and
`batch` work like any other chain.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/06_langchain_tools_and_runnable.py ["question"]

It prints the tool calls (with their arguments and results) and the answer, then what
the chain gives, e.g.

    question: Has order B-7 arrived yet?
    tool call: order_status({"order_id": "B-7"}) -> delivered
    answer: delivered
    chain.invoke({"order_id": "A-1042"}): shipped
    chain.batch(A-1042, C-55, B-7): ['shipped', 'no order C-55', 'delivered']
"""

from __future__ import annotations

import json
import sys

from langchain_core.prompts import PromptTemplate
from langchain_core.tools import tool

from agentsdk import Agent, GenerationSettings, Kit, Limits, RunResult

ORDERS = {"A-1042": "shipped", "B-7": "delivered"}
FORECASTS = {"oslo": "snow, -3 C", "paris": "sunny, 24 C"}


@tool(parse_docstring=True)
def order_status(order_id: str) -> str:
    """Look up the delivery status of an order by its order number.

    Args:
        order_id: The order number.
    """
    return ORDERS.get(order_id.strip().upper(), f"no order {order_id}")


@tool(parse_docstring=True)
def get_weather(city: str) -> str:
    """Get today's weather forecast for a city.

    Args:
        city: The name of the city.
    """
    return FORECASTS.get(city.strip().lower(), f"no forecast for {city}")


def show(result: RunResult) -> None:
    outputs = {r.call_id: r.content for r in result.tool_results}
    for call in result.tool_calls:
        arguments = json.dumps(dict(call.arguments))
        print(f"tool call: {call.name}({arguments}) -> {outputs.get(call.id, '(not run)')}")
    print(f"answer: {result.text}")


def main(question: str) -> None:
    agent = Agent(
        kit=Kit.stock(),
        tools=[order_status, get_weather],  # langchain-core tools, used as they are
        limits=Limits(max_steps=3),
        settings=GenerationSettings(max_tokens=96),
    )
    print(f"question: {question}")
    show(agent.run(question))

    # The agent as a Runnable: a prompt value in, the answer's text out; each call is a
    # fresh run (config={"configurable": {"thread_id": ...}} would go on with a thread)
    prompt = PromptTemplate.from_template("Where is my order {order_id}?")
    chain = prompt | agent.as_runnable()
    print(f'chain.invoke({{"order_id": "A-1042"}}): {chain.invoke({"order_id": "A-1042"})}')
    orders = ["A-1042", "C-55", "B-7"]
    answers = chain.batch([{"order_id": order} for order in orders])
    print(f"chain.batch({', '.join(orders)}): {answers}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Has order B-7 arrived yet?")
