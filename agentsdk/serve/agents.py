"""The agents a server serves, from a Python file or module the command points at.

`agentsdk serve --agents app.py:agents` (or `mypackage.agents:agents`) reads the name
after the colon from that file or module (`agentsdk.agent_files`): a mapping of names to
`Agent`s, a single `Agent` (served as "agent"), or a function without arguments that
returns either.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentsdk.agent import Agent
from agentsdk.agent_files import load_named
from agentsdk.errors import ConfigurationError

__all__ = ["load_agents"]


def load_agents(spec: str) -> dict[str, Agent]:
    """The agents named by `spec` ("FILE.py:NAME" or "MODULE:NAME")."""
    found = load_named(spec, option="--agents", example="app.py:agents")
    if isinstance(found, Agent):
        return {"agent": found}
    if isinstance(found, Mapping) and found:
        agents = {}
        for key, agent in found.items():
            if not isinstance(key, str) or not isinstance(agent, Agent):
                raise ConfigurationError(f"{spec}: maps names (str) to Agent objects")
            agents[key] = agent
        return agents
    raise ConfigurationError(
        f"{spec} is a {type(found).__name__}; it must be an Agent, a mapping of names to "
        "agents, or a function returning one"
    )
