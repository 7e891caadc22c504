"""Redaction of everything an export writes, with the SDK's own PII rules.

`Scrubber` walks a row (dicts, lists, strings, numbers) and replaces every e-mail
address, phone number, card number, IBAN and national identifier that
`agentsdk.safety.redaction` finds with a placeholder (`<EMAIL_1>`). One scrubber serves
one thread, so a value keeps one placeholder in all of the thread's rows (the prompt of
a later turn and the target of an earlier one agree). It starts from the thread's own
`PIIVault` when the run had one (`Agent(redact_pii=...)`, a remote model): the rows then
show the placeholders the model itself read.

What is redacted: every string, every object key, and every number whose digits are PII
(`4111111111111111` as a JSON number becomes the string `"<CARD_1>"`: a number cannot
hold a placeholder). `leaks` is the check after the fact: the PII still findable in a
value, which an export refuses to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentsdk.safety.redaction import PIIVault, Redactor

__all__ = ["Scrubber", "leaks"]


def _number_text(value: int | float) -> str:
    """A number as the digits a person would read (15.0 -> "15")."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e300:
        return str(int(value))
    return str(value)


class Scrubber:
    """Redacts values for one thread; remembers what it redacted (a cache per string)."""

    def __init__(self, redactor: Redactor, vault: Mapping[str, Any] | None = None) -> None:
        """`vault`: the thread's saved `PIIVault.to_dict()`, whose placeholders are kept."""
        self.redactor = redactor
        self.vault = PIIVault.from_dict(vault, redactor=redactor) if vault else PIIVault(redactor)
        self._done: dict[str, str] = {}

    def text(self, text: str) -> str:
        """`text` with its PII replaced by placeholders."""
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self.vault.redact(text)
        return done

    def __call__(self, value: Any) -> Any:
        """`value` with PII redacted in every string, key and number inside it."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            digits = _number_text(value)
            return self.text(digits) if self.redactor.find(digits) else value
        if isinstance(value, Mapping):
            return {self.text(str(key)): self(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self(item) for item in value]
        return value


def leaks(value: Any, redactor: Redactor, seen: set[str] | None = None) -> list[str]:
    """The kinds of PII `redactor` still finds in `value` (strings, keys, numbers), one
    per finding; empty when nothing would leave unredacted. `seen`: strings already
    checked clean, shared between calls."""
    found: list[str] = []
    checked = seen if seen is not None else set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(str(key) for key in item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            found += [f.kind for f in redactor.find(_number_text(item))]
        elif isinstance(item, str) and item not in checked:
            kinds = [f.kind for f in redactor.find(item)]
            if kinds:
                found += kinds
            else:
                checked.add(item)
    return found
