"""Modules that moved keep their old import paths.

Layout changes leave a user's `import agentsdk.state` or `from agentsdk.approvals import
Decision` working: a finder on `sys.meta_path` answers each old name with the module
that now holds it (the same module object, so its classes are the same classes).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

MOVED: dict[str, str] = {
    "agentsdk._loop": "agentsdk.run._loop",
    "agentsdk._gate": "agentsdk.run._gate",
    "agentsdk._act": "agentsdk.run._act",
    "agentsdk._lease": "agentsdk.run._lease",
    "agentsdk.result": "agentsdk.run.result",
    "agentsdk.state": "agentsdk.run.state",
    "agentsdk.checkpoints": "agentsdk.run.checkpoints",
    "agentsdk.approvals": "agentsdk.hitl.approvals",
    "agentsdk.policies": "agentsdk.hitl.policies",
    "agentsdk.audit": "agentsdk.hitl.audit",
    "agentsdk.redaction": "agentsdk.safety.redaction",
    "agentsdk.guardrails": "agentsdk.safety.guardrails",
    "agentsdk.chat": "agentsdk.cli.chat",
    "agentsdk.demo": "agentsdk.cli.demo",
    "agentsdk.doctor": "agentsdk.cli.doctor",
    "agentsdk.evals.command": "agentsdk.cli.eval",
    "agentsdk.models.constrained": "agentsdk.models.toolcalls",
}
"""Old module path -> where it lives now."""


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The module it stands for is already executed."""


def install() -> None:
    """Answer the old paths (once per process)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
