"""`agentsdk chat --agent FILE.py:NAME`: chat with an agent of one's own.

NAME in the Python file (or `MODULE:NAME`, importable) is an `Agent`, or a function
without arguments that returns one. (`agentsdk serve --agents` reads the same form, but
through `agentsdk.serve`, which needs the serve extra.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from agentsdk.agent import Agent
from agentsdk.errors import ConfigurationError

__all__ = ["load_agent"]


def _names(source: str) -> dict[str, Any]:
    """The module-level names of a Python file, or of an importable module."""
    if source.endswith(".py") or Path(source).is_file():
        if not Path(source).is_file():
            raise ConfigurationError(f"--agent: no such file: {source}")
        spec = importlib.util.spec_from_file_location(f"_agentsdk_chat_{Path(source).stem}", source)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"--agent: cannot load {source} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and type hints look it up there
        spec.loader.exec_module(module)
        return vars(module)
    try:
        return vars(importlib.import_module(source))
    except ImportError as exc:
        raise ConfigurationError(f"--agent: cannot import {source}: {exc}") from None


def load_agent(spec: str) -> Agent:
    """The agent named by `spec`, "FILE.py:NAME" or "MODULE:NAME"."""
    source, colon, name = spec.rpartition(":")
    if not colon or not source or not name:
        raise ConfigurationError(f"--agent {spec!r}: give FILE.py:NAME or MODULE:NAME")
    names = _names(source)
    if name not in names:
        raise ConfigurationError(f"--agent: {source} has no {name!r}")
    found = names[name]
    if callable(found) and not isinstance(found, Agent):
        found = found()
    if not isinstance(found, Agent):
        raise ConfigurationError(
            f"--agent {spec}: a {type(found).__name__}, not an Agent or a function returning one"
        )
    return found
