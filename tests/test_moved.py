"""Modules that moved keep their old import paths, as the same module objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from agentsdk._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_module_that_now_holds_it(old: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(MOVED[old])


def test_old_imports_work_in_a_fresh_process_and_give_the_same_classes() -> None:
    code = (
        "from agentsdk.approvals import Decision, ConsoleApprover\n"
        "from agentsdk.state import RunState\n"
        "import agentsdk.demo, agentsdk.hitl.console, agentsdk.run.state, agentsdk\n"
        "assert Decision is agentsdk.Decision and RunState is agentsdk.run.state.RunState\n"
        "assert ConsoleApprover is agentsdk.hitl.console.ConsoleApprover\n"
        "assert callable(agentsdk.demo.default_assets)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_name_that_never_existed_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("agentsdk.no_such_module")
    with pytest.raises(ImportError):
        exec("from agentsdk.approvals import NoSuchName", {})
