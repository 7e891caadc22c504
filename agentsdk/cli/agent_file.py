"""`agentsdk chat --agent FILE.py:NAME`: chat with an agent of one's own.

NAME in the Python file (or `MODULE:NAME`, importable) is an `Agent`, or a function
without arguments that returns one (read by `agentsdk.agent_files`, as `agentsdk serve
--agents` reads its agents).
"""

from __future__ import annotations

from agentsdk.agent import Agent
from agentsdk.agent_files import load_named
from agentsdk.errors import ConfigurationError

__all__ = ["load_agent"]


def load_agent(spec: str) -> Agent:
    """The agent named by `spec`, "FILE.py:NAME" or "MODULE:NAME"."""
    found = load_named(spec)
    if not isinstance(found, Agent):
        raise ConfigurationError(
            f"--agent {spec}: a {type(found).__name__}, not an Agent or a function returning one"
        )
    return found
