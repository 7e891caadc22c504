"""Loading the agents a server serves from a file or a module."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import Agent, ConfigurationError
from agentsdk.serve.agents import load_agents

SOURCE = """
from agentsdk import Agent, ScriptedModel
agents = {"a": Agent(model=ScriptedModel(["x"])), "b": Agent(model=ScriptedModel(["y"]))}
single = Agent(model=ScriptedModel(["z"]))
def make():
    return {"made": Agent(model=ScriptedModel(["w"]))}
nothing = 42
"""


def test_agents_load_from_a_file_by_name(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(SOURCE)
    assert sorted(load_agents(f"{path}:agents")) == ["a", "b"]
    assert list(load_agents(f"{path}:single")) == ["agent"]
    assert list(load_agents(f"{path}:make")) == ["made"]
    assert all(isinstance(a, Agent) for a in load_agents(f"{path}:agents").values())


def test_what_cannot_be_served_says_why(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(SOURCE)
    with pytest.raises(ConfigurationError, match=r"FILE\.py:NAME"):
        load_agents(str(path))
    with pytest.raises(ConfigurationError, match="has no 'missing'"):
        load_agents(f"{path}:missing")
    with pytest.raises(ConfigurationError, match="it must be an Agent"):
        load_agents(f"{path}:nothing")
    with pytest.raises(ConfigurationError, match="no such file"):
        load_agents(f"{tmp_path / 'nope.py'}:agents")
    with pytest.raises(ConfigurationError, match="cannot import"):
        load_agents("no_such_module_here:agents")
