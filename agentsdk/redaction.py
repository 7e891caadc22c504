"""PII redaction with reversible placeholders.

Before text goes to a remote model (a transcript, OCR text, the fused prompt,
a tool result), `PIIVault.redact` replaces each e-mail address, phone number, payment
card number and IBAN with a placeholder such as `<EMAIL_1>`; the vault remembers what each
placeholder stands for, so `PIIVault.restore_value` can give local tools the real values
back. The vault is plain data (`to_dict` / `from_dict`) and travels with a paused run.

Detection uses well-tested patterns with checksums (Luhn for cards, ISO 13616 mod-97 and
the per-country length for IBANs), not a model. Presidio was tried: presidio-analyzer
installs from PyPI, but its engine needs a spaCy model downloaded from GitHub, which is
unreachable offline (and the model is not on PyPI), so it is not used.

The rules: e-mail is `local@domain.tld` (ASCII). A card is 13-19 digits, one run or groups
of 3-6 joined by spaces or dashes, passing Luhn. An IBAN is a registry country, its exact
length, compact or in groups of four, passing mod-97. A phone is an optional `+` and digit
groups joined by one space, dash or dot (a group may be in parentheses), 7-15 digits, with
a separator unless it starts with `+`; dates, year ranges, times, amounts (currency, `%`,
thousands groups, decimals), ids after order/invoice/ref/#, ZIP+4, IPv4 and version
numbers are not phones. Overlaps: e-mail > IBAN > card > custom patterns > phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from agentsdk.errors import ConfigurationError
from agentsdk.messages import Message, ToolCall

if TYPE_CHECKING:
    from agentsdk.encoders.base import Observation

__all__ = [
    "BUILTIN_KINDS",
    "IBAN_LENGTHS",
    "PIIFinding",
    "PIIPattern",
    "PIIVault",
    "Redactor",
    "find_pii",
    "iban_is_valid",
    "luhn_is_valid",
]

T = TypeVar("T")

BUILTIN_KINDS: frozenset[str] = frozenset({"email", "phone", "card", "iban"})
# When two findings overlap, the earlier kind wins: checksum-validated and structural kinds
# first, custom patterns (in the order added) next, phone (the loosest heuristic) last.
_BUILTIN_ORDER = ("email", "iban", "card")

# What a placeholder looks like: <LABEL_N>, LABEL in capitals (EMAIL, PHONE, EMPLOYEE_ID).
PLACEHOLDER_RE = re.compile(r"<([A-Z][A-Z0-9_]*)_([1-9][0-9]*)>")
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


# -- checksums -----------------------------------------------------------------------------


def luhn_is_valid(number: str) -> bool:
    """The Luhn (mod 10) check of a string of digits (separators are ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if not digits:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Lengths of the IBAN of each country in the SWIFT IBAN registry (ISO 13616).
# fmt: off
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# fmt: on


def iban_is_valid(iban: str) -> bool:
    """Country in the registry, the country's length, and the ISO 13616 mod-97 check.

    Spaces are ignored; letters may be in either case.
    """
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", compact):
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# -- detectors -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PIIFinding:
    """One piece of PII found in a text."""

    kind: str
    """"email", "phone", "card", "iban", or the name of a custom pattern."""
    start: int
    end: int
    value: str
    """`text[start:end]`, as written."""


@dataclass(frozen=True, slots=True)
class PIIPattern:
    """A custom kind of PII: a regular expression, and optionally a check of each match."""

    name: str
    """Lowercase identifier ("employee_id"); its placeholders read `<EMPLOYEE_ID_1>`."""
    pattern: re.Pattern[str]
    """Every non-empty match is a candidate."""
    validator: Callable[[str], bool] | None = None
    """Called with the matched text; the match counts only when it returns True."""


Span = tuple[int, int]

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)


def _emails(text: str) -> list[Span]:
    return [m.span() for m in _EMAIL_RE.finditer(text)]


# A run of digit groups separated by single spaces or dashes.
_DIGIT_GROUPS_RE = re.compile(r"(?<!\w)\d+(?:[ -]\d+)*(?!\w)")


def _cards(text: str) -> list[Span]:
    """13-19 digits passing Luhn, in one run or groups of 3-6 digits (spaces or dashes).

    A longer run of groups is searched for such a window ("4111 1111 1111 1111 12/25").
    """
    spans: list[Span] = []
    for match in _DIGIT_GROUPS_RE.finditer(text):
        groups = [(g.start(), g.end(), g[0]) for g in re.finditer(r"\d+", match[0])]
        offset, i = match.start(), 0
        while i < len(groups):
            windows: list[tuple[int, str]] = []  # (last group, digits), at most 19 digits
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                windows.append((j, digits))
            for j, digits in reversed(windows):
                sizes_ok = i == j or all(3 <= len(g[2]) <= 6 for g in groups[i : j + 1])
                plausible = len(digits) >= 13 and sizes_ok and len(set(digits)) > 1
                if plausible and luhn_is_valid(digits):
                    spans.append((offset + groups[i][0], offset + groups[j][1]))
                    i = j
                    break
            i += 1
    return spans


_IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}"
    r"(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4})+(?: [A-Za-z0-9]{1,3})?)(?![A-Za-z0-9])"
)


def _ibans(text: str) -> list[Span]:
    """Compact or in groups of four; cut at the country's length on a group boundary."""
    spans: list[Span] = []
    pos = 0
    while (match := _IBAN_RE.search(text, pos)) is not None:
        candidate = match.group()
        length = IBAN_LENGTHS.get(candidate[:2].upper())
        cut = None
        if length is not None:
            seen = 0
            for k, char in enumerate(candidate):
                seen += char != " "
                if seen == length:
                    cut = k + 1
                    break
        on_boundary = cut is not None and (cut == len(candidate) or candidate[cut] == " ")
        if cut is not None and on_boundary and iban_is_valid(candidate[:cut]):
            spans.append((match.start(), match.start() + cut))
            pos = match.start() + cut
            continue
        pos = match.start() + 1
    return spans


_PHONE_GROUP = r"(?:\(\d{1,5}\)|\d+)"
_PHONE_RE = re.compile(
    rf"(?<![\w+])(?:\+ ?)?{_PHONE_GROUP}(?:(?:[ .-]|(?<=\))|(?=\()){_PHONE_GROUP})*(?!\w)"
)
_CURRENCY = r"[$€£¥₹]"
_BEFORE_REJECT = re.compile(
    rf"(?:(?:{_CURRENCY}|#|\b(?:order|invoice|inv|ref|reference|tracking|account|acct|id|sku"
    r"|serial|ticket|case|po|isbn)\b\.?\s*(?:#|no\.?|nr\.?|number|num)?\s*:?)\s*|\d[.,:/])$",
    re.IGNORECASE,
)
_AFTER_REJECT = re.compile(
    rf"\s*(?:%|{_CURRENCY}|(?:eur|usd|gbp|chf|jpy|dollars?|euros?|pounds?)\b)|[.,:/]\d",
    re.IGNORECASE,
)


def _date_like(groups: Sequence[str]) -> bool:
    """YYYY-MM-DD, DD.MM.YYYY, MM/DD/YYYY shapes, and year ranges such as 1990-2000."""
    n = [int(g) for g in groups]

    def year(i: int) -> bool:
        return len(groups[i]) == 4 and 1000 <= n[i] <= 2999

    def day_month(a: int, b: int) -> bool:
        return (
            len(groups[a]) <= 2
            and len(groups[b]) <= 2
            and 1 <= min(n[a], n[b]) <= 12
            and max(n[a], n[b]) <= 31
        )

    if len(groups) == 3:
        return (year(0) and day_month(1, 2)) or (year(2) and day_month(0, 1))
    return len(groups) == 2 and year(0) and year(1)


def _phone_ok(text: str, start: int, end: int) -> bool:
    candidate = text[start:end]
    groups = re.findall(r"\d+", candidate)
    digits = "".join(groups)
    if not 7 <= len(digits) <= 15:
        return False
    plus = candidate.startswith("+")
    if not plus and len(groups) == 1:
        return False  # a bare run of digits is an id or an amount, not a phone number
    if _BEFORE_REJECT.search(text[max(0, start - 24) : start]):
        return False
    if _AFTER_REJECT.match(text, end):
        return False
    separators = set(re.findall(r"[ .-]", candidate.lstrip("+ ")))
    if "(" not in candidate:
        if _date_like(groups):
            return False
        if candidate.count("-") == 1 and [len(g) for g in groups] == [5, 4]:
            return False  # US ZIP+4
        if separators == {"."} and (
            len(groups) == 2 or (len(groups) == 4 and all(len(g) <= 3 for g in groups))
        ):
            return False  # a decimal number or an IPv4 address
        if separators == {"."} and any(len(g) == 1 for g in groups):
            return False  # a version number such as 1.2.3.4567
        thousands = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        if thousands and (separators == {"."} or (separators == {" "} and len(groups[0]) <= 2)):
            return False  # 1.234.567 or 1 234 567: an amount with thousands separators
    return True


def _phones(text: str) -> list[Span]:
    return [m.span() for m in _PHONE_RE.finditer(text) if _phone_ok(text, *m.span())]


_BUILTIN_DETECTORS: Mapping[str, Callable[[str], list[Span]]] = {
    "email": _emails,
    "phone": _phones,
    "card": _cards,
    "iban": _ibans,
}


class Redactor:
    """Finds PII in text: the built-in kinds chosen in `kinds`, plus custom patterns.

    When findings overlap, e-mail wins over IBAN, IBAN over card, card over custom
    patterns (in the order added), and all of them over phone.
    """

    def __init__(
        self, *, kinds: Iterable[str] = BUILTIN_KINDS, patterns: Iterable[PIIPattern] = ()
    ) -> None:
        chosen = frozenset(kinds)
        if unknown := chosen - BUILTIN_KINDS:
            raise ConfigurationError(
                f"unknown PII kinds {sorted(unknown)}; built-in kinds are {sorted(BUILTIN_KINDS)}"
                " (add others with Redactor.add_pattern)"
            )
        self.kinds: frozenset[str] = chosen
        self.patterns: list[PIIPattern] = []
        for pattern in patterns:
            self.add_pattern(pattern.name, pattern.pattern, pattern.validator)

    def __repr__(self) -> str:
        names = [p.name for p in self.patterns]
        return f"Redactor(kinds={sorted(self.kinds)}, patterns={names})"

    def add_pattern(
        self,
        name: str,
        pattern: str | re.Pattern[str],
        validator: Callable[[str], bool] | None = None,
    ) -> None:
        """Detect a custom kind too, e.g. `add_pattern("employee_id", r"\\bEMP-\\d{6}\\b")`."""
        if not _NAME_RE.fullmatch(name):
            raise ConfigurationError(
                f"PII pattern name {name!r} must be a lowercase identifier like 'employee_id'"
            )
        if name in BUILTIN_KINDS or any(p.name == name for p in self.patterns):
            raise ConfigurationError(f"a PII kind named {name!r} already exists")
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        except re.error as exc:
            raise ConfigurationError(f"PII pattern {name!r} is not a valid regex: {exc}") from exc
        self.patterns.append(PIIPattern(name, compiled, validator))

    def find(self, text: str) -> list[PIIFinding]:
        """Every finding, in text order, without overlaps; placeholders are never findings."""
        taken: list[Span] = [m.span() for m in PLACEHOLDER_RE.finditer(text)]
        findings: list[PIIFinding] = []

        def overlaps(span: Span) -> bool:
            return any(span[0] < end and start < span[1] for start, end in taken)

        def claim(kind: str, spans: Iterable[Span]) -> None:
            for span in spans:
                if span[0] < span[1] and not overlaps(span):
                    taken.append(span)
                    findings.append(PIIFinding(kind, *span, text[span[0] : span[1]]))

        for kind in _BUILTIN_ORDER:
            if kind in self.kinds:
                claim(kind, _BUILTIN_DETECTORS[kind](text))
        for custom in self.patterns:
            valid = custom.validator or (lambda value: True)
            claim(custom.name, (m.span() for m in custom.pattern.finditer(text) if valid(m[0])))
        if "phone" in self.kinds:
            claim("phone", _phones(text))
        return sorted(findings, key=lambda f: f.start)


_DEFAULT_REDACTOR = Redactor()


def find_pii(text: str, *, redactor: Redactor | None = None) -> list[PIIFinding]:
    """The PII in `text` (kind, start, end, value), for tests and audit logs."""
    return (redactor or _DEFAULT_REDACTOR).find(text)


# -- the vault -----------------------------------------------------------------------------


@dataclass(slots=True)
class PIIVault:
    """Placeholders and what they stand for, for one run. Serialisable with `to_dict`.

    The same value always gets the same placeholder in one vault; restoring leaves
    placeholders it does not know as they are; redacting redacted text changes nothing.
    """

    redactor: Redactor = field(default_factory=Redactor)
    """What to detect; not serialised (validators are code), pass it to `from_dict`."""
    _originals: dict[str, str] = field(default_factory=dict, repr=False)
    _placeholders: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self._originals)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder -> original value (a copy)."""
        return dict(self._originals)

    def _placeholder(self, kind: str, value: str, reserved: set[str]) -> str:
        label = kind.upper()
        if (key := (label, value)) in self._placeholders:
            return self._placeholders[key]
        number = self._counters.get(label, 0)
        while True:
            number += 1
            placeholder = f"<{label}_{number}>"
            if placeholder not in self._originals and placeholder not in reserved:
                break
        self._counters[label] = number
        self._remember(placeholder, value)
        return placeholder

    def _remember(self, placeholder: str, value: str) -> None:
        match = PLACEHOLDER_RE.fullmatch(placeholder)
        if match is None:
            raise ConfigurationError(f"{placeholder!r} is not a placeholder like <EMAIL_1>")
        label, number = match[1], int(match[2])
        self._originals[placeholder] = value
        self._placeholders[(label, value)] = placeholder
        self._counters[label] = max(self._counters.get(label, 0), number)

    def redact(self, text: str) -> str:
        """`text` with each piece of PII replaced by its placeholder."""
        findings = self.redactor.find(text)
        if not findings:
            return text
        # Placeholder-looking text the vault does not know stays as is; never reuse its name.
        reserved = {m[0] for m in PLACEHOLDER_RE.finditer(text)} - self._originals.keys()
        parts: list[str] = []
        pos = 0
        for finding in findings:
            parts.append(text[pos : finding.start])
            parts.append(self._placeholder(finding.kind, finding.value, reserved))
            pos = finding.end
        parts.append(text[pos:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """`text` with every known placeholder replaced by the original value."""
        return PLACEHOLDER_RE.sub(lambda m: self._originals.get(m[0], m[0]), text)

    def redact_value(self, value: T) -> T:
        """Redact every string inside nested dicts, lists and tuples (keys are left alone)."""
        return cast(T, _map_strings(value, self.redact))

    def restore_value(self, value: T) -> T:
        """Restore every string inside nested dicts, lists and tuples: tool arguments."""
        return cast(T, _map_strings(value, self.restore))

    def redact_message(self, message: Message) -> Message:
        """The message as a remote model may read it: content and tool-call arguments."""
        return replace(
            message,
            content=self.redact(message.content),
            tool_calls=tuple(
                replace(call, arguments=self.redact_value(dict(call.arguments)))
                for call in message.tool_calls
            ),
        )

    def restore_tool_call(self, call: ToolCall) -> ToolCall:
        """The call as a local tool should receive it: with the real values."""
        return replace(call, arguments=self.restore_value(dict(call.arguments)))

    def redact_observation(self, observation: Observation) -> Observation:
        """The observation with its text and details redacted (transcripts, OCR lines)."""
        return replace(
            observation,
            text=self.redact(observation.text),
            details=self.redact_value(dict(observation.details)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `{"version": 1, "placeholders": {"<EMAIL_1>": "a@b.example", ...}}`."""
        return {"version": 1, "placeholders": dict(self._originals)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, redactor: Redactor | None = None) -> PIIVault:
        if data.get("version") != 1 or not isinstance(data.get("placeholders"), Mapping):
            raise ConfigurationError("not a saved PIIVault (expected version 1 with placeholders)")
        vault = cls(redactor or Redactor())
        for placeholder, value in data["placeholders"].items():
            vault._remember(str(placeholder), str(value))
        return vault


def _map_strings(value: Any, function: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, Mapping):
        return {key: _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    if isinstance(value, tuple):
        return tuple(_map_strings(item, function) for item in value)
    return value
