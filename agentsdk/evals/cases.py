"""Eval cases and datasets: what goes in, what is expected, and where the media live.

A dataset is a JSONL file, one case per line:

    {"id": "total-03",
     "text": "What is the total?", "images": ["images/r03.png"], "audio": [],
     "expected": {"number": 33.64, "tolerance": 0.005},
     "metadata": {"kind": "total"}}

Media paths are relative to the file's folder. `expected` holds one or more checks, each
scored by the evaluator of the same name (`agentsdk.evals.evaluators.EVALUATORS`):
`exact`, `contains`, `regex`, `number` (+ `tolerance`, `max_numbers`), `word` (+
`choices`), `tool_call`, `transcript` (+ `max_wer`), `ocr_text` (+ `max_cer`),
`max_seconds`, `paused`, `forbidden_tools`, `pii`, or one of your own evaluators. A key
no evaluator reads is an error before any case runs, so a typo never passes silently.

Several checks may be combined in one case; all must pass. What they ask:

- `exact`, `contains` (a string or a list): the answer, normalised; `regex`: searched
  in the answer, ignoring case;
- `number` (+ `tolerance`): a number of the answer within the tolerance; the answer may
  hold at most `max_numbers` numbers (default 3), so a list of every price is no answer;
- `word` (+ `choices`): the word is in the answer, and naming another choice fails;
- `tool_call`: `{"name", "arguments"}`, or null for "no tool"; arguments strictly
  (`evaluators.arguments_match`: numbers equal, expressions equal by value, strings
  equal after normalising, no extra keys), with `{"$contains": ...}`, `{"$one_of":
  [...]}`, `{"$any": true}` and `{"$optional": X}` where no single value is right;
- `transcript` (+ `max_wer`), `ocr_text` (+ `max_cer`): an encoder's text;
- `max_seconds`, `paused`, `forbidden_tools`, `pii`: how the run went.

A crash or a timeout is an infrastructure error: reported apart, not scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Self

from agentsdk.codec import Serialisable, from_data, options
from agentsdk.errors import ConfigurationError
from agentsdk.media import Audio, Image
from agentsdk.messages import Text

__all__ = ["OPTIONS", "Case", "Dataset"]

OPTIONS = frozenset({"tolerance", "max_numbers", "choices", "max_wer", "max_cer"})
"""Keys of `expected` that tune a check instead of being one."""


@dataclass(frozen=True, slots=True)
class Case(Serialisable):
    """One input and what is expected of the answer."""

    id: str
    text: str = field(default="", metadata=options(omit_empty=True))
    images: tuple[str, ...] = field(default=(), metadata=options(omit_empty=True))
    audio: tuple[str, ...] = field(default=(), metadata=options(omit_empty=True))
    expected: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict, metadata=options(omit_empty=True))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A case from its JSON line; a missing id or an unknown key is an error (a typo
        must not pass silently)."""
        if not isinstance(data, Mapping) or not data.get("id"):
            raise ConfigurationError("an eval case needs an 'id'")
        unknown = set(data) - {item.name for item in fields(cls)}
        if unknown:
            raise ConfigurationError(f"case {data['id']!r}: unknown fields {sorted(unknown)}")
        return from_data(cls, data)

    def parts(self, root: Path) -> list[Text | Image | Audio]:
        """The case's inputs as agent parts (media loaded and validated)."""
        parts: list[Text | Image | Audio] = [Text(self.text)] if self.text else []
        parts += [Image(root / path) for path in self.images]
        parts += [Audio(root / path) for path in self.audio]
        return parts


@dataclass
class Dataset:
    """Cases with a name and the folder their media paths are relative to."""

    name: str
    cases: list[Case]
    root: Path = field(default_factory=Path.cwd)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ConfigurationError(f"dataset {self.name!r}: case id {case.id!r} repeats")
            seen.add(case.id)
            if not set(case.expected) - OPTIONS:
                raise ConfigurationError(f"case {case.id!r} expects nothing: add a check")
            for path in (*case.images, *case.audio):
                if not (self.root / path).is_file():
                    raise ConfigurationError(f"case {case.id!r}: {self.root / path} is missing")

    @classmethod
    def from_jsonl(cls, path: str | Path, *, name: str | None = None) -> Dataset:
        """Cases from a JSONL file (one case per line; media paths relative to its
        folder). The dataset is named `name`, else its folder's name for a file called
        `cases.jsonl` (a suite), else the file's stem (`my_cases.jsonl` -> "my_cases")."""
        path = Path(path).resolve()
        if not path.is_file():
            raise ConfigurationError(f"no dataset at {path}")
        cases: list[Case] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                cases.append(Case.from_dict(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ConfigurationError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        found = path.parent.name if path.name == "cases.jsonl" else path.stem
        return cls(name or found, cases, path.parent)

    def to_jsonl(self, path: str | Path) -> None:
        lines = (json.dumps(c.to_dict(), ensure_ascii=False) for c in self.cases)
        Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def limit(self, count: int | None) -> Dataset:
        """The first `count` cases (all when None)."""
        if count is None:
            return self
        if count < 1:
            raise ConfigurationError("limit must be at least 1")
        return Dataset(self.name, self.cases[:count], self.root)

    def checks(self) -> set[str]:
        """Every check the cases expect (their `expected` keys, options left out)."""
        return {key for case in self.cases for key in case.expected if key not in OPTIONS}

    def select(self, ids: Sequence[str]) -> Dataset:
        """The cases with these ids, in the dataset's order."""
        wanted = set(ids)
        return Dataset(self.name, [c for c in self.cases if c.id in wanted], self.root)

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)
