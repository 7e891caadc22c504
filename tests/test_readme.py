"""The README's Python snippets run as written, so the README cannot drift.

The rules:

- Every ```python block of README.md runs, in order, indented ones in list items too.
- Blocks under one `## ` heading share a namespace: a later snippet of a section may use
  what an earlier one defined. Each section starts with a fresh namespace (`__name__` is
  "__main__") in a fresh temporary working directory that holds the demo's files,
  `receipt.png` and `question.wav` (package data in agentsdk/assets, as the README says
  near the first snippet that opens them), and `my-llm`, a tiny random chat checkpoint,
  for the snippet that loads "a checkpoint folder of yours".
- A block is not run only when the line right before its fence is
  `<!-- not run: REASON -->`. NOT_RUN lists those blocks, and a test checks that the
  README marks exactly those, so a new snippet runs unless someone says why not.
- A section that needs the stock models (a block calls `Kit.stock(...)`, builds an
  `Agent(...)` without `model=`, or imports `agentsdk.cli.demo`) is marked `stock`. It runs
  in this pytest process, so the kit's models load once per process, shared by every
  stock section and every other stock test. The other sections are unit tests, where
  loading a stock model fails (conftest), so a section classified wrongly shows.
- Sample outputs are checked. A top-level expression statement, or an assignment to one
  name, whose trailing comment or the comment line right below it reads as a value is
  checked against the repr of its value. A comment reads as a value when it parses as a
  Python expression without bare names (literals, `Usage(input_tokens=37, ...)`); a note
  may follow after ` -> `. Descriptions ("# the answer") are not values. In a value,
  `...` matches anything: an element, the rest of a list, any text inside a string; a
  float matches a number that, rounded to the decimals written, equals it (`0.51`).
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import textwrap
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentsdk.cli.demo import default_assets

README = Path(__file__).resolve().parent.parent / "README.md"

NOT_RUN: dict[tuple[str, int], str] = {
    ("Deployment", 2): (
        "it talks to the server the command above starts (tests/cli/test_serve.py does "
        "this against a real one)"
    ),
}
"""Blocks the README marks `<!-- not run: REASON -->`: (section, index of the block in its
section) -> the reason."""

CHECKPOINT = "my-llm"
"""The folder name the placement snippet loads; the test puts a tiny checkpoint there."""

_NOT_RUN_MARK = re.compile(r"^\s*<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")
_NOTE = " -> "


@dataclass(frozen=True)
class Sample:
    """A sample output shown in a comment, and the statement it belongs to."""

    line: int
    """README line of the statement's last line."""
    text: str
    """The comment's value part (before ` -> `)."""
    expected: ast.expr


@dataclass
class Block:
    section: str
    index: int
    """Position among the section's python blocks."""
    first_line: int
    """README line number of the block's first code line."""
    source: str
    not_run: str | None
    """The reason given in `<!-- not run: ... -->`, or None."""

    @property
    def tree(self) -> ast.Module:
        tree = ast.parse(self.source, filename=str(README))
        ast.increment_lineno(tree, self.first_line - 1)
        return tree


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def runnable(self) -> list[Block]:
        return [b for b in self.blocks if b.not_run is None]

    @property
    def needs_stock(self) -> bool:
        return any(_needs_stock(b.tree) for b in self.runnable)


def parse_readme(text: str) -> list[Section]:
    """The README's sections (`## ` headings; "" before the first) with their python blocks."""
    sections = [Section("")]
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.startswith("## "):
            sections.append(Section(line[3:].strip()))
        fence = line.strip()
        if fence.startswith("```"):
            indent = line[: len(line) - len(line.lstrip())]
            end = number + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if fence[3:].strip() == "python":
                before = next((s for s in reversed(lines[:number]) if s.strip()), "")
                mark = _NOT_RUN_MARK.match(before)
                body = [s.removeprefix(indent) for s in lines[number + 1 : end]]
                section = sections[-1]
                section.blocks.append(
                    Block(
                        section=section.title,
                        index=len(section.blocks),
                        first_line=number + 2,
                        source=textwrap.dedent("\n".join(body)) + "\n",
                        not_run=mark.group("reason") if mark else None,
                    )
                )
            number = end
        number += 1
    return [s for s in sections if s.blocks]


def _needs_stock(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "stock"
                and isinstance(func.value, ast.Name)
                and func.value.id == "Kit"
            ):
                return True
            if (
                isinstance(func, ast.Name)
                and func.id == "Agent"
                and not any(k.arg == "model" for k in node.keywords)
            ):
                return True
        if isinstance(node, ast.Import) and any(
            a.name.startswith("agentsdk.cli.demo") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agentsdk.cli.demo"):
            return True
    return False


# -- sample outputs ------------------------------------------------------------------


def as_value(comment: str) -> ast.expr | None:
    """The comment's value (the part before ` -> `) as an expression, or None when it
    is a description: not an expression, or one with a bare name."""
    text = _value_text(comment)
    if not text:
        return None
    try:
        expression = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    # a name may only be (part of) what is called: Usage(...), np.float64(...)
    callees = {
        id(node)
        for call in ast.walk(expression)
        if isinstance(call, ast.Call)
        for node in ast.walk(call.func)
    }
    if any(isinstance(n, ast.Name) and id(n) not in callees for n in ast.walk(expression)):
        return None
    return expression


def _value_text(comment: str) -> str:
    return comment.lstrip("#").strip().split(_NOTE)[0].strip()


_LAYOUT = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def _comments(source: str) -> dict[int, tuple[str, bool]]:
    """Line (1-based, in `source`) -> (its comment, whether the line holds nothing else)."""
    comments: dict[int, str] = {}
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
        elif token.type not in _LAYOUT:
            code_lines.update(range(token.start[0], token.end[0] + 1))
    return {line: (text, line not in code_lines) for line, text in comments.items()}


def samples(block: Block) -> dict[int, Sample]:
    """Top-level statement index -> the sample output its comment shows."""
    comments = _comments(block.source)
    found: dict[int, Sample] = {}
    for position, statement in enumerate(block.tree.body):
        if not isinstance(statement, ast.Expr) and not _assigns_one_name(statement):
            continue
        last = (statement.end_lineno or statement.lineno) - block.first_line + 1
        candidates = [comments.get(last, ("", False))[0]]
        below = comments.get(last + 1)
        if below is not None and below[1]:
            candidates.append(below[0])
        for comment in candidates:
            expected = as_value(comment)
            if expected is not None:
                line = last + block.first_line - 1
                found[position] = Sample(line, _value_text(comment), expected)
                break
    return found


def _assigns_one_name(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    )


def shows(expected: ast.expr, value: object) -> bool:
    """Whether the sample `expected` shows `value` (see the module docstring)."""
    shown = repr(value)
    try:
        actual = ast.parse(shown, mode="eval").body
    except SyntaxError:
        return _text_matches(ast.unparse(expected), shown)
    return _same(expected, actual)


def _text_matches(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def _decimals(number: float) -> int:
    written = repr(number)
    return len(written.split(".")[1]) if "." in written and "e" not in written else 17


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        if expected and _is_ellipsis(expected[-1]):
            head = expected[:-1]
            return len(actual) >= len(head) and all(map(_same, head, actual))
        return len(expected) == len(actual) and all(map(_same, expected, actual))
    if not isinstance(expected, ast.AST):
        return bool(expected == actual)
    if _is_ellipsis(expected):
        return True
    if isinstance(expected, ast.Constant) and isinstance(actual, ast.Constant):
        want, got = expected.value, actual.value
        if isinstance(want, str) and isinstance(got, str):
            return _text_matches(want, got)
        if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
            return got == want or round(got, _decimals(want)) == want
        return type(want) is type(got) and bool(want == got)
    if type(expected) is not type(actual):
        return False
    return all(
        _same(value, getattr(actual, name))
        for name, value in ast.iter_fields(expected)
        if name not in ("ctx", "kind", "type_comment")
    )


def _is_ellipsis(node: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


# -- running -------------------------------------------------------------------------


def run_section(section: Section) -> list[Sample]:
    """Run the section's blocks in one namespace, checking each sample output; the
    samples checked."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    checked: list[Sample] = []
    for block in section.runnable:
        shown = samples(block)
        for position, statement in enumerate(block.tree.body):
            sample = shown.get(position)
            if sample is not None and isinstance(statement, ast.Expr):
                expression = ast.Expression(statement.value)
                value = eval(compile(expression, str(README), "eval"), namespace)
            else:
                module = ast.Module([statement], type_ignores=[])
                exec(compile(module, str(README), "exec"), namespace)
                if sample is None or not isinstance(statement, ast.Assign):
                    continue
                value = namespace[ast.unparse(statement.targets[0])]
            assert shows(sample.expected, value), (
                f"README.md:{sample.line} shows {sample.text}, the code gives {value!r}"
            )
            checked.append(sample)
    return checked


SECTIONS = parse_readme(README.read_text(encoding="utf-8"))


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "intro"


def _params() -> list[Any]:
    return [
        pytest.param(s, marks=[pytest.mark.stock] if s.needs_stock else [], id=_slug(s.title))
        for s in SECTIONS
        if s.runnable
    ]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for asset in default_assets():
        shutil.copy(asset, tmp_path / asset.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("section", _params())
def test_the_section_runs_as_written(
    section: Section, workdir: Path, request: pytest.FixtureRequest
) -> None:
    if any(f'"{CHECKPOINT}"' in b.source for b in section.runnable):
        checkpoint: Path = request.getfixturevalue("tiny_checkpoint")
        shutil.copytree(checkpoint, workdir / CHECKPOINT)
    run_section(section)


def test_a_block_is_left_out_only_where_the_readme_says_why() -> None:
    marked = {(b.section, b.index): b.not_run for s in SECTIONS for b in s.blocks if b.not_run}
    assert marked == NOT_RUN
    assert all(reason.strip() for reason in marked.values())
    assert sum(len(s.runnable) for s in SECTIONS) >= 9


def test_blocks_sections_and_not_run_marks_are_read() -> None:
    text = textwrap.dedent(
        """\
        # title

        ```python
        intro = 1
        ```

        ## One

        <!-- not run: needs a GPU -->

        ```python
        cuda = 1
        ```

        ```bash
        echo no
        ```

        - item:

          ```python
          Kit.stock()
          ```
        """
    )
    intro, one = parse_readme(text)
    assert (intro.title, [b.source for b in intro.blocks]) == ("", ["intro = 1\n"])
    assert [(b.index, b.first_line, b.source, b.not_run) for b in one.blocks] == [
        (0, 12, "cuda = 1\n", "needs a GPU"),
        (1, 22, "Kit.stock()\n", None),
    ]
    assert one.needs_stock and not intro.needs_stock


def test_the_readme_shows_outputs_that_are_checked() -> None:
    shown = {sample.text for s in SECTIONS for b in s.runnable for sample in samples(b).values()}
    for known in (
        "'interrupted', True",
        "'stop', False",
        "Usage(input_tokens=37, output_tokens=8)",
        "'480x400 PNG image, landscape; mostly white 91%, ...; looks like a document'",
        "[True, False]",
    ):
        assert known in shown
    descriptions = {"# the answer", "# device/dtype or device_map", "# JSON-ready", "# Ollama"}
    assert all(as_value(d) is None for d in descriptions)


@pytest.mark.parametrize(
    ("sample", "value", "ok"),
    [
        ("'interrupted', True", ("interrupted", True), True),
        ("'interrupted', True", ("stop", False), False),
        ("(480, 400), 'PNG', None", ((480, 400), "PNG", None), True),
        ("3.67, 22050, 1", (3.6668480725623582, 22050, 1), True),
        ("3.66, 22050, 1", (3.6668480725623582, 22050, 1), False),
        ("('a', 0.51, [...], 'en')", ("a", 0.5109, [{"x": 1}, {"y": 2}], "en"), True),
        ("[1, ...]", [1, 2, 3], True),
        ("[1, ...]", [2, 3], False),
        ("'CORNER\\nHigh ...\\n...'", "CORNER\nHigh Street\nCoffee 12.50", True),
        ("'480x400 PNG, ...; a document'", "480x388 PNG, white; a document", False),
        ("{'to': 'ana@example.com'}", {"to": "ana@example.com"}, True),
        ("1", True, False),
    ],
)
def test_a_sample_output_matches_what_it_shows(sample: str, value: object, ok: bool) -> None:
    expected = as_value(sample)
    assert expected is not None
    assert shows(expected, value) is ok
