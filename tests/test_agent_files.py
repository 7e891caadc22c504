"""`agentsdk.agent_files.load_named`: the object "FILE.py:NAME" or "MODULE:NAME" names,
a function called first, and errors that name the command's option."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import Agent, ConfigurationError
from agentsdk.agent_files import load_named

SOURCE = """
from dataclasses import dataclass

from agentsdk import Agent, ScriptedModel
from agentsdk.router import Router


@dataclass
class Note:
    text: str


agent = Agent(model=ScriptedModel(["hi"]), router=Router(), instructions=Note("be brief").text)


def make():
    return agent


def agents():
    return {"helper": agent}


number = 3
"""


def test_names_in_a_file_are_read_and_functions_called(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(SOURCE)
    agent = load_named(f"{path}:agent")
    assert isinstance(agent, Agent) and agent.instructions == "be brief"
    served = load_named(f"{path}:agents")  # the file runs again: new objects
    assert list(served) == ["helper"] and isinstance(served["helper"], Agent)
    assert load_named(f"{path}:number") == 3  # what it is: the command checks the type


def test_a_module_is_imported() -> None:
    assert load_named("agentsdk.agent_files:__all__") == ["load_named"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nothing", r"--agents 'nothing': give FILE\.py:NAME or MODULE:NAME \(e\.g\. a\.py:x\)"),
        ("missing.py:agent", "--agents: no such file: missing.py"),
        ("no_such_module_here:agent", "--agents: cannot import no_such_module_here"),
        ("{path}:other", "--agents: .* has no 'other'"),
    ],
)
def test_errors_name_the_option(tmp_path: Path, spec: str, message: str) -> None:
    path = tmp_path / "app.py"
    path.write_text(SOURCE)
    with pytest.raises(ConfigurationError, match=message):
        load_named(spec.format(path=path), option="--agents", example="a.py:x")
