"""Control tokens in untrusted text are defused before a model reads it.

A tokenizer turns the text `<|im_end|>` into its real end-of-turn token wherever the text
comes from: an OCR line, a transcript, a tool result. Text that holds
`<|im_end|>\\n<|im_start|>system` would end the user's turn and open a system turn of
the attacker's making. So every message's text (and every string in a tool call's
arguments, which chat templates render too) is defused before the chat template runs:
the markers of the model's own tokenizer (`LocalModel`) and, for models whose tokenizer
is not known here (a remote server applies its own template), the turn markers of the
common chat formats (ChatML and `<|...|>` tokens, Llama's `[INST]` and `<<SYS>>`,
Gemma's `<start_of_turn>`, `<s>`/`</s>`). A defused marker reads the same to a person
(its brackets become look-alike quotation marks, U+2039 and U+203A, or white square
brackets) but is plain text to the tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

__all__ = ["COMMON_MARKERS", "ControlTokens", "defuse"]

COMMON_MARKERS = re.compile(
    r"<\|[^<>|\s]{1,64}\|>"  # ChatML, Llama 3, Phi, DeepSeek-style <|...|>
    r"|</?s>"  # sentence markers
    r"|\[/?(?:INST|SYS|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]"  # Llama 2, Mistral
    r"|<</?SYS>>"
    r"|<(?:start|end)_of_turn>"  # Gemma
    r"|</?tool_call>|</?tool_response>",  # Hermes / Qwen tool tags
    re.IGNORECASE,
)
"""Turn and role markers of the common chat formats, for tokenizers not known here."""

_LOOK_ALIKE = {"<": "\u2039", ">": "\u203a", "[": "\u27e6", "]": "\u27e7"}
_JOINER = "\u2060"  # WORD JOINER: invisible, and breaks an exact match


def _defused(marker: str) -> str:
    """`marker` with its outer brackets swapped for look-alikes (or, when it has none,
    an invisible joiner after its first character)."""
    first, last = marker[0], marker[-1]
    if first in "<[" and last in ">]":
        return _LOOK_ALIKE[first] + marker[1:-1] + _LOOK_ALIKE[last]
    return marker[0] + _JOINER + marker[1:]


class ControlTokens:
    """The markers one tokenizer treats as control tokens, plus the common ones."""

    def __init__(self, specials: Iterable[str] = ()) -> None:
        named = sorted({s for s in specials if s and s.strip()}, key=len, reverse=True)
        parts = [re.escape(s) for s in named] + [COMMON_MARKERS.pattern]
        self.pattern = re.compile("|".join(parts), re.IGNORECASE)

    @classmethod
    def of(cls, tokenizer: Any) -> ControlTokens:
        """The control tokens of a transformers tokenizer: its special tokens and every
        added token marked special."""
        specials = set(getattr(tokenizer, "all_special_tokens", ()) or ())
        added = getattr(tokenizer, "added_tokens_decoder", None) or {}
        specials |= {t.content for t in added.values() if getattr(t, "special", False)}
        return cls(specials)

    def defuse(self, text: str) -> str:
        """`text` with every control token made plain text."""
        return self.pattern.sub(lambda m: _defused(m.group(0)), text)

    def defuse_value(self, value: Any) -> Any:
        """Every string inside `value` (dicts, lists) defused; the rest as it is."""
        if isinstance(value, str):
            return self.defuse(value)
        if isinstance(value, Mapping):
            return {k: self.defuse_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.defuse_value(v) for v in value]
        return value

    def defuse_conversation(self, conversation: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Chat-format messages (`Message.to_dict()`) with their content and tool-call
        arguments defused; roles and ids are the caller's and stay."""
        made = []
        for message in conversation:
            copy = dict(message)
            content = copy.get("content")
            if content is not None:
                copy["content"] = self.defuse_value(content)
            if copy.get("tool_calls"):
                copy["tool_calls"] = [_defuse_call(self, call) for call in copy["tool_calls"]]
            made.append(copy)
        return made


def _defuse_call(tokens: ControlTokens, call: Mapping[str, Any]) -> dict[str, Any]:
    made = dict(call)
    function = made.get("function")
    if isinstance(function, Mapping):
        function = dict(function)
        function["arguments"] = tokens.defuse_value(function.get("arguments"))
        made["function"] = function
    return made


@lru_cache(maxsize=1)
def _common() -> ControlTokens:
    return ControlTokens()


def defuse(text: str) -> str:
    """`text` with the common chat formats' control tokens made plain text."""
    return _common().defuse(text)
