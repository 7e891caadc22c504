"""Extractive replies: a small local model answers by choosing from what was read.

A 135M model asked about a document it was shown writes fluent nonsense: digits that
appear nowhere, the file's name, a price from the wrong line, an expression of one number.
Measured on evals/multimodal it was right in 5 of 48 cases, and 6 with every number
grounded by the grammar. What it *can* do is tell which of a few given options fits best.
So when a grounded local model has read something this turn (`GenerationSettings.sources`:
OCR text, a document), its reply is a choice, not free writing:

1. **Rank what was read.** The sources are split into lines; each line is scored for the
   request by a sentence embedding (cosine with the request) plus the model's own
   likelihood of the line after "The answer is in this line:" (both as z-scores, so
   neither scale dominates), and `NAMED_WEIGHT` more for a line the request names by a
   word they share. Each line is cut into spans: dates, numbers (not the parts
   of a time, a date or a code) and its words without the numbers. A span's score is its
   line's plus the z-scored mean log-likelihood of the span as the answer to the request,
   plus how strongly the request asks for its kind (`wanted_kinds`: the request's cosine
   with a description of each kind, z-scored: "what is the shop called" wants words),
   and, for the first line's words when the request wants words, that much again
   (`TITLE_WEIGHT`: a document's own name heads it).
2. **Read or compute.** Tools may declare **call templates** (`CallTemplate`, such as the
   stock calculator's "{value} + {value}" with example requests). Templates are
   considered when the tool ranker chose their tool, or when the best span is a number
   (it may need computing), or, for two-value templates only, when it is words. Of those
   that fit the request (a `{count}` needs a number in the request, "three" is 3; two
   `{value}`s need two lines the request names by a shared word; `{values}` needs none
   named, since naming a line asks about that line), the one whose example requests are
   nearest wins: the mean cosine of the request as said and of the request without the
   names it shares with the lines. It is filled from the ranking: `{value}` the best
   numbers, one per named line when there are several; `{count}` the request's numbers;
   `{values:SEP}` the last number of each line, written the way most lines' last
   numbers are (same decimals), in reading order, joined by SEP, stopping at one that
   equals the sum so far (a stated total); `{total}` the document's total
   (`document_total`: the stated total, else the sum of what is listed), for a request
   that acts on the whole document ("reimburse this receipt"). A template declared
   `reads` (it only restates one value), or none at all, means the answer is the best
   span; any other filled template is called.

   With nothing read (a text-only turn), only templates whose every slot is a number of
   the request (`request_only`: "{count} * {count}") are considered, for the tool the
   ranker chose; after its result, the answer is the result.
3. **After a tool result** the answer is that result.

What it guarantees: every value in an extractive answer or filled call was read or heard
this turn, or computed by a tool from such values. What it cannot: answer what is not
written anywhere (it then answers with the nearest thing that is), or phrase a sentence;
tools without templates keep the grammar-constrained arguments of `grounding`.

Everything here works through the `Reader` protocol (embed texts, score continuations),
so the logic runs with scripted scores in tests; `LocalModel` is the real reader.
"""

from __future__ import annotations

import collections
import decimal
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from agentsdk.fences import is_fence
from agentsdk.models.grounding import numbers_in_text, plain_number

__all__ = [
    "ANSWER_HINT",
    "COMPUTE_FLOOR",
    "LINE_LEAD",
    "TEMPLATES_KEY",
    "Choice",
    "Reader",
    "Span",
    "Template",
    "choose_computation",
    "choose_template",
    "document_total",
    "fill_template",
    "line_spans",
    "named_lines",
    "operation_text",
    "rank_spans",
    "reading_prompt",
    "reads_one_value",
    "request_counts",
    "request_only",
    "source_lines",
    "templates_of",
    "usable",
    "value_slots",
    "wanted_kinds",
    "written_operators",
]

LINE_LEAD = "The answer is in this line: "
"""What the model continues with each line when lines are scored."""
ANSWER_HINT = "Answer with a word, a number or a date from the text."
"""Said after the request when the candidate answers are scored."""
MAX_LINES = 60
"""Lines scored at most (the first ones, in reading order)."""

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?[ -]{_MONTH}[ ,-]+\d{{4}}\b"
    rf"|\b{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
    re.IGNORECASE,
)
# a number standing alone: not glued to letters ("1kg", "INV-8194"), not part of a time
# ("09:41") or of something joined by / or -
_NUMBER = re.compile(r"(?<![\w.,:/-])\d+(?:[.,]\d+)*(?![\w:/-]|[.,]\d)")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
"""Any run of digits, with its decimal or thousands separators (what masking hides)."""
_PLACEHOLDER = re.compile(r"\{(value|count|values|total)(?::([^}]*))?\}")


class Reader(Protocol):
    """What extraction needs from a model: sentence embeddings and likelihoods."""

    def embed(self, texts: Sequence[str]) -> Any:
        """One normalised row per text (a torch tensor or an array)."""
        ...

    def likelihoods(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """The mean log-probability per token of each continuation after `prompt`."""
        ...

    def chat_prompt(self, user: str) -> str:
        """`user` as one user turn of the model's chat template, ready for its reply."""
        ...


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of one line that could be the answer."""

    text: str
    kind: Literal["date", "number", "words"]
    line: int
    """Index of its line in the lines ranked."""
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Template:
    """A call template as the model side reads it from a tool's schema."""

    tool: str
    arguments: Mapping[str, Any]
    examples: tuple[str, ...]
    reads: bool = False
    """Declared to restate one value only (`CallTemplate.reads`): chosen, the value read
    is the answer and the tool is not called."""


def source_lines(sources: Sequence[str], request: Sequence[str]) -> list[str]:
    """The lines of what was read: every source text that is not the request itself,
    split into non-empty lines, without fence lines, each once, at most `MAX_LINES`."""
    asked = {part.strip() for part in request}
    seen: dict[str, None] = {}
    for text in sources:
        if text.strip() in asked:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line and not is_fence(line):
                seen.setdefault(line, None)
    return list(seen)[:MAX_LINES]


def request_counts(request: Sequence[str]) -> list[str]:
    """The numbers in the request (number words included: "three" is 3), each once."""
    found: dict[str, None] = {}
    for part in request:
        for number in numbers_in_text(part):
            found.setdefault(plain_number(number), None)
    return list(found)


def line_spans(line: str, index: int) -> list[Span]:
    """The dates, the numbers and the words (the line without its numbers) of `line`."""
    spans = [Span(m.group(), "date", index) for m in _DATE.finditer(line)]
    rest = _DATE.sub(" ", line)
    spans += [Span(m.group(), "number", index) for m in _NUMBER.finditer(rest)]
    words = " ".join(w for w in _DIGITS.sub(" ", rest).split() if _wordy(w))
    words = words.strip(" :-,.")
    if words:
        spans.append(Span(words, "words", index))
    return spans


def _wordy(token: str) -> bool:
    return any(ch.isalpha() for ch in token)


def reading_prompt(lines: Sequence[str], request: str, hint: str = "") -> str:
    """The compact user turn the candidates are scored in: the lines, then the request."""
    text = "\n".join(lines)
    return f"{text}\n\nQuestion: {request}" + (f"\n{hint}" if hint else "")


def _z(values: Sequence[float]) -> list[float]:
    if len(values) < 2:
        return [0.0 for _ in values]
    mean, spread = statistics.fmean(values), statistics.pstdev(values)
    return [(v - mean) / spread if spread > 1e-9 else 0.0 for v in values]


def _similarities(reader: Reader, query: str, texts: Sequence[str]) -> list[float]:
    rows = reader.embed([query, *texts])
    return [float(value) for value in (rows[1:] @ rows[0]).tolist()]


KIND_PROMPTS: dict[str, str] = {
    "number": "how much, how many: an amount, a price, a quantity",
    "date": "when: the date or the day",
    "words": "who, which, what is called: the name of a person, a shop, a company, a place "
    "or a thing",
}
"""What a request for each kind of span sounds like; a request's cosine with each, as
z-scores, says which kind of answer it wants (a name is not a date)."""
KIND_WEIGHT = 1.0
"""How much the kind a request wants counts beside a span's own scores."""
TITLE_WEIGHT = 1.0
"""How much the first line's words count when a request wants words: a document's own
name (the shop, the company, the sender) heads it, on receipts, invoices, letters and
menus alike, while its request rarely shares a word with it ("what is it called?")."""


NAMED_WEIGHT = 1.0
"""How much a line counts that the request names by a word it shares ("What was the
revenue?" and "Revenue 42"): a small model's likelihood prefers fluent lines ("Sales
went up this year.") to the terse one that holds the answer."""


def wanted_kinds(request: str, reader: Reader) -> dict[str, float]:
    """How strongly `request` asks for each kind of span, as z-scores over the kinds."""
    kinds = list(KIND_PROMPTS)
    return dict(
        zip(kinds, _z(_similarities(reader, request, list(KIND_PROMPTS.values()))), strict=True)
    )


def rank_spans(request: str, lines: Sequence[str], reader: Reader) -> list[Span]:
    """Every span of `lines`, best answer to `request` first (see the module docstring)."""
    if not lines or not request.strip():
        return []
    wanted = wanted_kinds(request, reader)
    similarity = _similarities(reader, request, lines)
    line_prompt = reader.chat_prompt(reading_prompt(lines, request)) + LINE_LEAD
    named = set(named_lines(request, lines))
    relevance = [
        a + b + (NAMED_WEIGHT if index in named else 0.0)
        for index, (a, b) in enumerate(
            zip(_z(similarity), _z(reader.likelihoods(line_prompt, lines)), strict=True)
        )
    ]
    spans = [span for index, line in enumerate(lines) for span in line_spans(line, index)]
    if not spans:
        return []
    answer_prompt = reader.chat_prompt(reading_prompt(lines, request, ANSWER_HINT))
    fit = _z(reader.likelihoods(answer_prompt, [s.text for s in spans]))
    title = TITLE_WEIGHT * max(wanted["words"], 0.0)
    scored = [
        Span(
            s.text,
            s.kind,
            s.line,
            relevance[s.line]
            + f
            + KIND_WEIGHT * wanted[s.kind]
            + (title if s.kind == "words" and s.line == 0 else 0.0),
        )
        for s, f in zip(spans, fit, strict=True)
    ]
    return sorted(scored, key=lambda s: -s.score)


def _slots(arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for value in arguments.values():
        if isinstance(value, str):
            found += [(m.group(1), m.group(2) or "") for m in _PLACEHOLDER.finditer(value)]
    return found


# Words that shape a request rather than name something in the sources.
_FUNCTION_WORDS = frozenset(
    """a an the and or but not no nor of in on at to for from by with without into onto
    over under between among per each every all both any some this that these those it
    its is are was were be been being do does did done have has had will would can could
    shall should may might must what which who whom whose when where why how much many
    more less most least than then there here i me my we us our you your he him his she
    her they them their one two three four five six seven eight nine ten
    together plus minus times divided split share cost costs price pay paid""".split()  # noqa: SIM905
)


def operation_text(request: str, lines: Sequence[str]) -> str:
    """`request` without the words it shares with `lines` (names, labels; function
    words stay), so that what it asks to *do* is compared, not what it names."""
    seen = {w.lower() for line in lines for w in re.findall(r"[^\W\d_]{2,}", line)}
    kept = [
        word
        for word in request.split()
        if not (
            (bare := re.sub(r"[^\w]", "", word).lower()) in seen and bare not in _FUNCTION_WORDS
        )
    ]
    return " ".join(kept)


def value_slots(template: Template) -> int:
    """How many `{value}` slots the template has."""
    return [kind for kind, _ in _slots(template.arguments)].count("value")


def reads_one_value(template: Template) -> bool:
    """Whether the template only restates one value (declared `reads`, with one
    `{value}` slot): choosing it means the value read is the answer."""
    return template.reads and value_slots(template) == 1


def request_only(template: Template, counts: int) -> bool:
    """Whether every slot of the template takes a number of the request (`{count}`),
    as many as the request holds (`counts`): it computes from what was said, with
    nothing read (a text-only question). A request with more numbers asks for more."""
    kinds = [kind for kind, _ in _slots(template.arguments)]
    return bool(kinds) and all(kind == "count" for kind in kinds) and len(kinds) == counts


def named_lines(request: str, lines: Sequence[str]) -> list[int]:
    """The indices of the lines the request names: lines sharing a word with it,
    function words ("the", "what", "each") and numbers aside."""
    asked = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", request)} - _FUNCTION_WORDS
    return [
        index
        for index, line in enumerate(lines)
        if asked & {w.lower() for w in re.findall(r"[^\W\d_]{2,}", line)}
    ]


@dataclass(frozen=True, slots=True)
class Choice:
    """The template nearest a request, and how near (cosine, best example)."""

    template: Template
    similarity: float


def usable(template: Template, counts: int, named: int) -> bool:
    """Whether `template` fits a request holding `counts` numbers and naming `named`
    lines: each `{count}` needs a number of the request; a calculation over several
    values needs as many lines named; one over all listed values (`{values}`) needs
    none named (a request that names a line asks about that line); reading one value
    as it is needs a line named (asked for "the total" of a list without a total line,
    the answer is the sum, not whichever number reads best); the document's total
    (`{total}`) needs none named either."""
    kinds = [kind for kind, _ in _slots(template.arguments)]
    values = kinds.count("value")
    if kinds.count("count") > counts:
        return False
    if "values" in kinds or "total" in kinds:
        return named == 0
    if reads_one_value(template):
        return named >= 1
    return values < 2 or named >= values


def choose_template(
    request: str,
    templates: Sequence[Template],
    reader: Reader,
    counts: Sequence[str],
    lines: Sequence[str],
) -> Choice | None:
    """The template whose example requests are nearest the request, among the `usable`
    ones; None if none is. Nearness is the mean cosine of the request as said and of its
    `operation_text` (without the names it shares with `lines`): the names say which
    lines, the rest says what to do with them."""
    named = len(named_lines(request, lines))
    usable_ones = [t for t in templates if t.examples and usable(t, len(counts), named)]
    if not usable_ones:
        return None
    examples = [(i, e) for i, t in enumerate(usable_ones) for e in t.examples]
    texts = [e for _, e in examples]
    similarity = [
        (a + b) / 2
        for a, b in zip(
            _similarities(reader, request, texts),
            _similarities(reader, operation_text(request, lines), texts),
            strict=True,
        )
    ]
    best: dict[int, float] = {}
    for (index, _), score in zip(examples, similarity, strict=True):
        best[index] = max(best.get(index, -1.0), score)
    winner = max(best, key=lambda i: best[i])
    return Choice(usable_ones[winner], best[winner])


COMPUTE_FLOOR = 0.6
"""How near a computing example a text-only request must be to be computed when the
tool ranker chose no tool (the ranker's floor missed "Multiply 12 by 3"). Measured with
the stock embedding, numbers masked: arithmetic requests 0.71-1.0, small talk that
holds numbers ("I am 35 and my son is 7") at most 0.52."""


class _NumbersMasked:
    """A reader whose embeddings see every number as "N": what a request asks to do
    with its numbers, not their values, decides which computation it is."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def embed(self, texts: Sequence[str]) -> Any:
        return self._reader.embed([_DIGITS.sub("N", t) for t in texts])

    def likelihoods(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        return self._reader.likelihoods(prompt, continuations)

    def chat_prompt(self, user: str) -> str:
        return self._reader.chat_prompt(user)


def choose_computation(
    request: str, templates: Sequence[Template], reader: Reader, counts: Sequence[str]
) -> Choice | None:
    """The `request_only` template nearest a text-only request (numbers masked on both
    sides), among those taking exactly its numbers; None if none does."""
    fitting = [t for t in templates if request_only(t, len(counts))]
    written = written_operators(request)
    same = [t for t in fitting if written and _operators(t) == written]
    return choose_template(request, same or fitting, _NumbersMasked(reader), counts, ())


_WRITTEN = re.compile(r"(?<=\d)\s*(\*\*|[-+*/x\u00d7\u00f7^])\s*(?=\d)")
_AS_PYTHON = {"x": "*", "\u00d7": "*", "\u00f7": "/", "^": "**"}


def written_operators(request: str) -> list[str]:
    """The operators written between the request's numbers ("9 x 8" is ["*"]), in
    order: a request that writes its calculation out has chosen it already."""
    return [_AS_PYTHON.get(op, op) for op in _WRITTEN.findall(request)]


def _operators(template: Template) -> list[str]:
    text = " ".join(v for v in template.arguments.values() if isinstance(v, str))
    return re.findall(r"\*\*|[-+*/]", _PLACEHOLDER.sub(" ", text))


def fill_template(
    template: Template,
    ranked: Sequence[Span],
    counts: Sequence[str],
    lines: Sequence[str],
    named: Sequence[int] = (),
) -> dict[str, Any] | None:
    """The template's arguments with its slots filled (see the module docstring); None
    when there are too few numbers. Several `{value}` slots take one value per line,
    the lines the request names first: a calculation over several things named."""
    numbers = [s for s in ranked if s.kind == "number"]
    if value_slots(template) >= 2:
        per_line: dict[int, str] = {}  # each line's best number, lines in rank order
        for span in numbers:
            per_line.setdefault(span.line, span.text)
        named_set = set(named)
        order = [ln for ln in per_line if ln in named_set]
        order += [ln for ln in per_line if ln not in named_set]
        values = [per_line[line] for line in order]
    else:
        values = list(dict.fromkeys(s.text for s in numbers))
    taken = {"value": 0, "count": 0}
    pools = {"value": values, "count": list(counts)}
    missing = False

    def slot(match: re.Match[str]) -> str:
        nonlocal missing
        kind, separator = match.group(1), match.group(2)
        if kind == "total":
            best = next((s.text for s in numbers), None)
            total = document_total(_listed(best, ranked, lines, stop=False)) if best else None
            missing = missing or total is None
            return total or ""
        if kind == "values":
            best = next((s.text for s in numbers), None)
            listed = _listed(best, ranked, lines) if best else []
            missing = missing or not listed
            return (separator or " + ").join(listed)
        pool = pools[kind]
        if taken[kind] >= len(pool):
            missing = True
            return ""
        taken[kind] += 1
        return pool[taken[kind] - 1]

    filled = {
        name: _PLACEHOLDER.sub(slot, value) if isinstance(value, str) else value
        for name, value in template.arguments.items()
    }
    return None if missing else filled


def _decimals(number: str) -> int:
    head, _, tail = number.replace(",", ".").rpartition(".")
    return len(tail) if head else 0


def _listed(
    best: str, ranked: Sequence[Span], lines: Sequence[str], *, stop: bool = True
) -> list[str]:
    """The listed amounts: the last number of each line written the way most lines'
    last numbers are (their decimals; ties go to the way `best` is written), in reading
    order, up to one that equals the sum of those before it (with `stop`; else all).
    A house number or a quantity that ranks best does not decide what the list is."""
    numbers = sorted((s for s in ranked if s.kind == "number"), key=lambda s: s.line)
    last: dict[int, str] = {}
    for span in numbers:
        last[span.line] = _last_in_line(lines[span.line], span.text, last.get(span.line))
    ways = collections.Counter(_decimals(value) for value in last.values())
    written = max(ways, key=lambda d: (ways[d], d == _decimals(best)), default=_decimals(best))
    by_line: dict[int, str] = {}
    for span in numbers:
        if _decimals(span.text) == written:
            by_line[span.line] = _last_in_line(lines[span.line], span.text, by_line.get(span.line))
    listed: list[str] = []
    total = decimal.Decimal(0)
    for line in sorted(by_line):
        value = _decimal(by_line[line])
        if stop and listed and value == total:
            break
        listed.append(by_line[line])
        total += value
    return listed


def document_total(amounts: Sequence[str]) -> str | None:
    """The total of a document's listed amounts, in reading order: the largest amount
    that equals the running sum of those before it (a stated subtotal or total; tax
    added after a subtotal counts on from it, cash given and change after a total do
    not count), else the sum of them all; written with the amounts' decimals. None
    when there are none."""
    if not amounts:
        return None
    running, summed, stated = decimal.Decimal(0), 0, None
    for amount in amounts:
        value = _decimal(amount)
        if summed >= 2 and value == running:  # two prices alike are not a total
            stated = value if stated is None else max(stated, value)
            summed = 1
        else:
            running += value
            summed += 1
    total = stated if stated is not None else running
    places = max(_decimals(a) for a in amounts)
    return f"{total:.{places}f}"


def _last_in_line(line: str, candidate: str, current: str | None) -> str:
    if current is None:
        return candidate
    return candidate if line.rfind(candidate) > line.rfind(current) else current


def _decimal(number: str) -> decimal.Decimal:
    try:
        return decimal.Decimal(plain_number(number))
    except decimal.InvalidOperation:
        return decimal.Decimal(0)


def templates_of(tools: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Template, ...]]:
    """The call templates declared in OpenAI-format tool schemas, by tool name."""
    found: dict[str, tuple[Template, ...]] = {}
    for schema in tools:
        function = schema.get("function", schema)
        raw = function.get(TEMPLATES_KEY) if isinstance(function, Mapping) else None
        if not raw:
            continue
        name = str(function.get("name"))
        found[name] = tuple(
            Template(
                name,
                dict(t["arguments"]),
                tuple(t.get("examples", ())),
                bool(t.get("reads", False)),
            )
            for t in raw
        )
    return found


TEMPLATES_KEY = "x-agentsdk-templates"
"""Where a tool schema carries its call templates (remote models never see it)."""
