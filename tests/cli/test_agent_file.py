"""`agentsdk chat --agent FILE.py:NAME`: an agent of one's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import Agent, ConfigurationError
from agentsdk.cli.agent_file import load_agent
from tests.test_agent_files import SOURCE  # an agent, a function making it, a number


def test_an_agent_or_a_function_returning_one_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(SOURCE)
    agent = load_agent(f"{path}:agent")
    assert isinstance(agent, Agent) and agent.instructions == "be brief"
    assert load_agent(f"{path}:make").instructions == "be brief"


def test_an_agent_from_a_module() -> None:
    assert isinstance(load_agent("tests.cli.test_agent_file:module_agent"), Agent)


def module_agent() -> Agent:
    from agentsdk import ScriptedModel
    from agentsdk.router import Router

    return Agent(model=ScriptedModel([]), router=Router())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nothing", "give FILE.py:NAME or MODULE:NAME"),
        ("missing.py:agent", "no such file: missing.py"),
        ("no_such_module_here:agent", "cannot import no_such_module_here"),
        ("{path}:other", "has no 'other'"),
        ("{path}:number", "a int, not an Agent"),
    ],
)
def test_what_is_not_an_agent_is_a_clear_error(tmp_path: Path, spec: str, message: str) -> None:
    path = tmp_path / "mine.py"
    path.write_text(SOURCE)
    with pytest.raises(ConfigurationError, match=message):
        load_agent(spec.format(path=path))
