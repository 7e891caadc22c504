"""Guardrails: a guardrail is a function (sync or async) of the text and a context that
returns a `GuardrailVerdict`; `check_guardrails` runs several at once and never raises (a
guardrail that fails counts as tripped). The runner decides what a tripped verdict means,
usually `GuardrailTripped`. Two are ready: `pii_output_guardrail` and the heuristic
`injection_guardrail`.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from agentsdk.codec import Serialisable
from agentsdk.errors import ConfigurationError, GuardrailTripped
from agentsdk.safety.redaction import Redactor

__all__ = [
    "INJECTION_PATTERNS",
    "Guardrail",
    "GuardrailFunction",
    "GuardrailStage",
    "GuardrailVerdict",
    "check_guardrails",
    "find_injections",
    "guardrail",
    "injection_guardrail",
    "pii_guardrail",
    "pii_output_guardrail",
    "tripwire_error",
]

GuardrailStage = Literal["input", "output"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardrailVerdict(Serialisable):
    """What one guardrail decided about one text. The runner acts on `tripwire`."""

    tripwire: bool
    """True: the guardrail objects (stop, ask a person, or refuse, as the runner decides)."""
    name: str = ""
    """The guardrail's name (filled in by `check_guardrails` when left empty)."""
    message: str = ""
    """Why, in one readable line."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """JSON-ready specifics: the matched phrases, the kinds of PII found..."""

    @classmethod
    def ok(cls, name: str = "") -> GuardrailVerdict:
        return cls(tripwire=False, name=name)

    @classmethod
    def trip(
        cls, message: str, *, name: str = "", details: Mapping[str, Any] | None = None
    ) -> GuardrailVerdict:
        return cls(tripwire=True, name=name, message=message, details=dict(details or {}))


GuardrailFunction = Callable[[str, Any], GuardrailVerdict | Awaitable[GuardrailVerdict]]
"""`(text, context) -> GuardrailVerdict`, sync or async."""


@dataclass(frozen=True, slots=True)
class Guardrail:
    """A guardrail function, the stage it watches, and its name."""

    function: GuardrailFunction
    """`(text, context) -> GuardrailVerdict`; sync functions run in a worker thread."""
    stage: GuardrailStage = "input"
    """"input": the user's text and the fused prompt; "output": the model's final answer."""
    name: str = ""
    """Shown in verdicts; defaults to the function's name."""

    def __post_init__(self) -> None:
        if self.stage not in ("input", "output"):
            raise ConfigurationError(
                f"a guardrail's stage is 'input' or 'output', not {self.stage!r}"
            )
        if not self.name:
            object.__setattr__(self, "name", getattr(self.function, "__name__", "guardrail"))

    async def run(self, text: str, context: Any = None) -> GuardrailVerdict:
        """The verdict; raises what the function raises (`check_guardrails` does not)."""
        result: object
        if inspect.iscoroutinefunction(self.function):
            result = self.function(text, context)
        else:
            result = await asyncio.to_thread(self.function, text, context)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, GuardrailVerdict):
            raise TypeError(f"returned {type(result).__name__}, not a GuardrailVerdict")
        return result if result.name else replace(result, name=self.name)


def guardrail(
    *, stage: GuardrailStage = "input", name: str = ""
) -> Callable[[GuardrailFunction], Guardrail]:
    """Decorator: `@guardrail(stage="output")` over a `(text, context)` function."""

    def wrap(function: GuardrailFunction) -> Guardrail:
        return Guardrail(function, stage, name)

    return wrap


async def check_guardrails(
    guardrails: Iterable[Guardrail | GuardrailFunction],
    text: str,
    context: Any = None,
    *,
    stage: GuardrailStage | None = None,
    timeout: float | None = None,
) -> list[GuardrailVerdict]:
    """Run the guardrails concurrently; one verdict each, in order. Never raises.

    With `stage`, guardrails of the other stage are skipped (bare functions always run).
    A guardrail that raises, times out, or returns something else than a verdict counts
    as tripped, with the reason as its message: guardrails fail closed.
    """
    chosen = [
        g if isinstance(g, Guardrail) else Guardrail(g)
        for g in guardrails
        if stage is None or not isinstance(g, Guardrail) or g.stage == stage
    ]

    async def one(item: Guardrail) -> GuardrailVerdict:
        try:
            return await asyncio.wait_for(item.run(text, context), timeout)
        except Exception as exc:
            if isinstance(exc, TimeoutError) and timeout is not None:
                return GuardrailVerdict.trip(f"timed out after {timeout} s", name=item.name)
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return GuardrailVerdict.trip(
                f"the guardrail failed ({message})", name=item.name, details={"error": message}
            )

    return list(await asyncio.gather(*(one(item) for item in chosen)))


def tripwire_error(
    verdicts: Iterable[GuardrailVerdict], *, stage: GuardrailStage
) -> GuardrailTripped | None:
    """The error a runner may raise for these verdicts, or None when none tripped."""
    verdicts = tuple(verdicts)
    tripped = [v for v in verdicts if v.tripwire]
    if not tripped:
        return None
    reasons = "; ".join(f"{v.name}: {v.message}" if v.message else v.name for v in tripped)
    return GuardrailTripped(f"{stage} guardrail tripped ({reasons})", verdicts=verdicts)


# -- ready guardrails ----------------------------------------------------------------------


def pii_guardrail(
    *, redactor: Redactor | None = None, stage: GuardrailStage = "output"
) -> Guardrail:
    """Trips when the text contains PII that `redactor` finds (the values are not repeated)."""
    chosen = redactor or Redactor()

    def pii(text: str, context: Any) -> GuardrailVerdict:
        findings = chosen.find(text)
        if not findings:
            return GuardrailVerdict.ok()
        kinds = sorted({f.kind for f in findings})
        spans = [[f.start, f.end] for f in findings]
        return GuardrailVerdict.trip(
            f"the text contains unredacted PII ({', '.join(kinds)})",
            details={"kinds": kinds, "count": len(findings), "spans": spans},
        )

    return Guardrail(pii, stage, "pii")


pii_output_guardrail = pii_guardrail()
"""Trips when the model's answer (before placeholders are restored) contains PII."""

_W = r"\W{1,3}"  # between words: spaces, maybe punctuation
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        # "ignore all previous instructions", "disregard the above rules", "forget your prompt"
        rf"\b(?:ignore|disregard|forget|override|bypass|skip)(?:{_W}(?:all|any|every|the|your"
        rf"|my|these|those|of|previous|prior|above|earlier|preceding|original|initial|system"
        rf"|safety|developer))*{_W}(?:instructions?|prompts?|rules|directions|guidelines"
        rf"|directives|commands|context|messages|guardrails|restrictions)\b",
        rf"\byou{_W}are{_W}now{_W}(?:a|an|the|my|no{_W}longer|free|unrestricted|unfiltered"
        rf"|jailbroken|in{_W}\w+{_W}mode|DAN)\b",
        rf"\bfrom{_W}now{_W}on{_W}you{_W}(?:are|will|must|shall)\b",
        rf"\b(?:pretend|act){_W}(?:to{_W}be|you{_W}are|as{_W}if)\b",
        rf"\bsystem{_W}prompt\b",
        rf"\bnew{_W}(?:system{_W})?instructions?{_W}?:",
        rf"\b(?:developer|god|jailbreak|DAN){_W}mode\b",
        r"<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|>|\[/?(?:INST|SYS)\]",
        r"^\s*(?:system|assistant)\s*:",
        rf"\b(?:call|use|run|invoke|execute|trigger){_W}(?:the{_W})?[\w.-]+{_W}(?:tool|function)\b",
        rf"\bdelete{_W}(?:all|every|the|your)(?:{_W}\w+){{0,2}}{_W}(?:files|folders|emails|data"
        rf"|records|messages|backups|documents)\b",
        r"\brm\s+-rf\b|\bdrop\s+(?:table|database)\b|\bformat\s+(?:the\s+)?(?:disk|drive)\b",
        rf"\b(?:without|don'?t|do{_W}not){_W}(?:telling|tell|asking|ask|informing|inform|alerting"
        rf"|alert|notifying|notify){_W}(?:the{_W})?(?:user|human|operator|anyone)\b",
        rf"\b(?:send|email|forward|post|upload|exfiltrate){_W}(?:\w+{_W}){{0,3}}(?:passwords?"
        rf"|credentials|api{_W}keys?|secrets?|tokens?|private{_W}keys?)\b",
    )
)
"""Phrases that try to steer the model from inside perceived content. A heuristic."""


def find_injections(text: str) -> list[str]:
    """The prompt-injection phrases in `text`, as written, in text order (heuristic)."""
    spans = sorted(m.span() for p in INJECTION_PATTERNS for m in p.finditer(text))
    found: list[str] = []
    last_end = -1
    for start, end in spans:
        if start >= last_end:
            found.append(" ".join(text[start:end].split()))
            last_end = end
    return found


def _injection(text: str, context: Any) -> GuardrailVerdict:
    phrases = find_injections(text)
    if not phrases:
        return GuardrailVerdict.ok()
    shown = ", ".join(repr(p) for p in phrases[:5])
    return GuardrailVerdict.trip(
        f"possible prompt injection: {shown}", details={"phrases": phrases}
    )


injection_guardrail = Guardrail(_injection, "input", "injection")
"""Input guardrail: trips on phrases that look like prompt injection in the user's text or
perceived content (OCR, transcripts). A heuristic: it misses paraphrases and other
languages, and may flag text that merely talks about prompts or tools."""
