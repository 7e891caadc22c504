"""The public surface: names re-exported once, sorted, importable, and light to import."""

from __future__ import annotations

import subprocess
import sys

import agentsdk
import agentsdk.errors
import agentsdk.models


def test_all_is_sorted_and_resolves() -> None:
    for module in (agentsdk, agentsdk.models, agentsdk.errors):
        assert module.__all__ == sorted(module.__all__), module.__name__
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_every_error_is_public_and_in_the_tree() -> None:
    doc = agentsdk.errors.__doc__ or ""
    for name in agentsdk.errors.__all__:
        error = getattr(agentsdk.errors, name)
        assert issubclass(error, agentsdk.AgentSDKError)
        assert name in agentsdk.__all__
        assert name in doc, f"{name} is missing from the tree in errors.py"


def test_importing_agentsdk_does_not_import_torch() -> None:
    code = "import sys, agentsdk; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
