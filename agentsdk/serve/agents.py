"""The agents a server serves, from a Python file or module the command points at.

`agentsdk serve --agents app.py:agents` (or `mypackage.agents:agents`) reads the name
after the colon from that file or module: a mapping of names to `Agent`s, a single
`Agent` (served as "agent"), or a function without arguments that returns either.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from agentsdk.agent import Agent
from agentsdk.errors import ConfigurationError

__all__ = ["load_agents"]


def load_agents(spec: str) -> dict[str, Agent]:
    """The agents named by `spec` ("FILE.py:NAME" or "MODULE:NAME")."""
    source, colon, name = spec.rpartition(":")
    if not colon or not source or not name:
        raise ConfigurationError(
            f"--agents {spec!r}: give FILE.py:NAME or MODULE:NAME (e.g. app.py:agents)"
        )
    module = _module(source)
    try:
        found = getattr(module, name)
    except AttributeError:
        raise ConfigurationError(f"{source} has no {name!r}") from None
    if callable(found) and not isinstance(found, Agent):
        found = found()
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


def _module(source: str) -> ModuleType:
    path = Path(source)
    if source.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ConfigurationError(f"no such file: {source}")
        spec = importlib.util.spec_from_file_location(f"_agentsdk_served_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"cannot load {source} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(source)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {source}: {exc}") from None
