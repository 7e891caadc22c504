"""01: a text chat with tools. Each turn continues the conversation; the model calls a
tool when one fits: the stock calculator for arithmetic, or a tool of your own (here,
the local time in a few cities), and answers from what the tool returned.

Run it (after `python3 tools/bootstrap.py demo`):

    .venv/bin/python examples/01_text_chat_with_a_tool.py ["a message" ...]

Each argument is one turn (three sample turns without any); it prints each turn, the
tool calls behind it and the answer, e.g.

    you> What is 17.5 times 4?
      [calculator {'expression': '17.5 * 4'} -> 70]
    agent> 70
    you> What time is it in Tokyo?
      [local_time {'city': 'Tokyo'} -> 21:07 in Asia/Tokyo]
    agent> 21:07 in Asia/Tokyo
"""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from agentsdk import Agent, Limits, RunResult, tool
from agentsdk.toolbox import calculator

ZONES = {"lisbon": "Europe/Lisbon", "tokyo": "Asia/Tokyo", "new york": "America/New_York"}


@tool
def local_time(city: str) -> str:
    """The local time now in a city (Lisbon, Tokyo or New York).

    Args:
        city: The city's name.
    """
    zone = next((z for name, z in ZONES.items() if name in city.lower()), None)
    if zone is None:
        return f"no time zone known for {city!r}; known: Lisbon, Tokyo, New York"
    return f"{datetime.now(ZoneInfo(zone)):%H:%M} in {zone}"


def main(turns: list[str]) -> None:
    agent = Agent(tools=[calculator, local_time], limits=Limits(max_steps=3))
    last: RunResult | None = None
    for turn in turns:
        print(f"you> {turn}")
        last = agent.run(turn, history=last)  # the conversation so far comes along
        for call, outcome in zip(last.tool_calls, last.tool_results, strict=False):
            print(f"  [{call.name} {dict(call.arguments)} -> {outcome.content}]")
        print(f"agent> {last.text}")


if __name__ == "__main__":
    main(
        sys.argv[1:]
        or ["What is 17.5 times 4?", "What is 1200 divided by 16?", "What time is it in Tokyo?"]
    )
