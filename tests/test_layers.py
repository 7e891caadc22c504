"""The layers of the package are one-way: no module imports one of a higher layer.

The layers are written in `agentsdk`'s docstring and in docs/architecture.md; this test
reads every import with `ast` (at module level, inside functions, and under
TYPE_CHECKING) and fails on an upward one that is not listed in KNOWN_UPWARD with its
reason, and on a cycle among module-level imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import agentsdk

PACKAGE = Path(agentsdk.__file__).resolve().parent

LAYERS: list[tuple[str, list[str]]] = [
    (
        "foundation",
        [
            "errors",
            "_files",
            "_moved",
            "codec",
            "truncation",
            "media",
            "video",
            "messages",
            "fences",
        ],
    ),
    (
        "perception, models, tools, people's rules, safety",
        ["encoders", "models", "tools", "toolbox", "weights", "hitl", "safety", "voices"],
    ),
    (
        "routing, fusion, kit, placement",
        ["router", "fusion", "kit", "placement", "history", "events"],
    ),
    ("the run", ["run", "agent", "agent_files", "runnable"]),
    ("evals and serving", ["evals", "serve", "learn"]),
    ("command line", ["cli", "__main__"]),
]
"""Lowest first; a module belongs to the layer of its longest matching prefix."""

KNOWN_UPWARD: dict[tuple[str, str], str] = {
    ("errors", "safety"): "TYPE_CHECKING: GuardrailTripped carries the verdicts",
    ("errors", "run.state"): "TYPE_CHECKING: GuardrailTripped carries the saved state",
    ("events", "run.result"): "TYPE_CHECKING: RunFinished carries the result",
}
"""Upward imports that remain, each with why (all of them for type hints only)."""


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        name = name.removesuffix(".__init__").removesuffix("__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported agentsdk module, at module level) for every import in `tree`."""
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "agentsdk":
                targets = [alias.name for alias in node.names]
            elif node.module.startswith("agentsdk."):
                targets = [node.module.removeprefix("agentsdk.")]
            else:
                continue
            found += [(target, id(node) in top) for target in targets]
        elif isinstance(node, ast.Import):
            found += [
                (alias.name.removeprefix("agentsdk."), id(node) in top)
                for alias in node.names
                if alias.name.startswith("agentsdk.")
            ]
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in _modules() if m and _layer(m) is None]
    assert unplaced == [], f"add these modules to a layer: {unplaced}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = set()
    for module, tree in _modules().items():
        if not module:  # the package itself re-exports everything
            continue
        for target, _ in _imports(tree):
            mine, theirs = _layer(module), _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                upward.add((module, target))
    unexplained = sorted(upward - set(KNOWN_UPWARD))
    assert unexplained == [], f"imports of a higher layer: {unexplained}"
    stale = sorted(set(KNOWN_UPWARD) - upward)
    assert stale == [], f"KNOWN_UPWARD lists imports that are gone: {stale}"


def _with_packages(module: str) -> list[str]:
    """`module` and the packages above it, whose `__init__` runs first when it is imported."""
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def test_module_level_imports_have_no_cycle() -> None:
    modules = _modules()
    graph = {
        name: {
            package
            for t, top in _imports(tree)
            if top
            for package in _with_packages(t)
            if package in modules and package != name and not name.startswith(package + ".")
        }
        for name, tree in modules.items()
        if name
    }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
