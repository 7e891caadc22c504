"""Grammar-constrained tool calls for local models, with xgrammar.

Small local models rarely write a well-formed tool call on their own, so `LocalModel`
constrains what they may write when a request comes with tools. The reply is one JSON
object of this schema (`reply_schema`)::

    anyOf: {"answer": <string>}
           {"tool": <const name>, "arguments": <that tool's parameters schema>}   (per tool)

**Choosing the tool** happens before the arguments are written. With a `ToolRanker`
that has a threshold (`EmbeddingToolRanker.stock()`: the stock kit's all-MiniLM-L6-v2),
the last user request is compared with each tool's name and description (cosine of
mean-pooled, normalised sentence embeddings): the best tool is called if it scores at
least the threshold, else the model answers; the reply is then constrained to that one
branch, starting from its opening (`{"tool": "NAME", "arguments` or `{"answer`). The
threshold (0.24) was chosen on a calibration set with its own tools and requests
(evals/tool_calls/calibration*), not on the eval suite. Without a ranker, the model
chooses as it writes, under the grammar of every option (one stage).

Measured on evals/tool_calls (38 requests, 6 tools, SmolLM2-135M, greedy; now
`agentsdk eval tool_calls`): the right tool, or a direct answer where one is
expected, in 86.8% of the requests with the ranker, 50.0% for the model alone under the
grammar, and 39.5% when the model's likelihood of each option's opening chose first (a
two-stage variant, dropped). A 135M model mostly cannot tell when a tool applies (it
called `send_email` for "Who wrote Hamlet?"); a sentence embedding can.

**Validity.** Each branch's schema is compiled with xgrammar for the model's tokenizer
once and cached (`ToolGrammars`, keyed by the schema's canonical JSON), and a logits
processor masks every token the grammar forbids, so whatever the weights say, the text
is a prefix of a valid reply. "Constrained" is not yet "valid": the text must also
*end*. So:

- every string gets a `maxLength` (200 characters for answers, 100 for string arguments,
  unless the schema sets its own), every array a `maxItems` (16), and no free
  whitespace is allowed (`any_whitespace=False`);
- a repetition penalty (1.2 unless the settings give one) applies, while a string is
  being written, to the string content the reply already holds (not to the prompt,
  whose words the arguments copy, and never to quotes, so a string can always close);
- a budget guard: the processor works out a short way to close the JSON from where it
  is (a greedy walk through the grammar: close the string, close brackets, then the
  smallest values the grammar accepts for missing required fields) and once that path
  plus a margin of 16 tokens no longer fits in what is left of `max_tokens`, forces it.
  The reply then ends as valid JSON whenever `max_tokens` holds that path from the
  start (`{"answer": ""}` and the like: a few tokens with a real vocabulary); an answer
  cut that way comes back with finish_reason "length";
- tokens that would spell a UTF-16 surrogate (which xgrammar lets through but which is
  not UTF-8) are masked.

If a reply still does not parse (a budget smaller than the shortest complete reply),
`LocalModel` retries once with twice the budget, then returns the raw text with
finish_reason "length" and no tool calls: never a malformed `ToolCall`.

The prompt tells the model about the tools in a short system section (`tool_prompt`:
one signature line per tool, its parameters' descriptions, the reply format): SmolLM2's
chat template ignores `tools`, and 135M parameters need it brief. Showing the
parameters' descriptions raised right arguments from 53.6% to 64.3% on the suite.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from agentsdk.errors import ConfigurationError, GenerationError, MissingDependencyError
from agentsdk.messages import Message, ToolCall
from agentsdk.models.base import ToolSchema

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import xgrammar

__all__ = [
    "ANSWER_MAX_LENGTH",
    "ARGUMENT_MAX_LENGTH",
    "MAX_ITEMS",
    "REPETITION_PENALTY",
    "STOCK_RANKER_THRESHOLD",
    "EmbeddingToolRanker",
    "GrammarLogitsProcessor",
    "ParsedReply",
    "ToolGrammars",
    "ToolRanker",
    "ToolSpec",
    "answer_opening",
    "answer_schema",
    "bound_schema",
    "call_opening",
    "call_schema",
    "canonical_json",
    "parse_reply",
    "partial_answer",
    "prepare_conversation",
    "render_call",
    "reply_schema",
    "select_tools",
    "tool_prompt",
    "tool_specs",
    "tool_text",
]

ANSWER_MAX_LENGTH = 200
"""Default `maxLength` of the answer string."""
ARGUMENT_MAX_LENGTH = 100
"""Default `maxLength` of string arguments without one."""
MAX_ITEMS = 16
"""Default `maxItems` of arrays without one."""
REPETITION_PENALTY = 1.2
"""Default penalty on content tokens the reply already produced."""
CLOSING_MARGIN = 16
"""Tokens kept in hand beyond the shortest closing path before the budget guard forces it."""
GRAMMAR_CACHE_SIZE = 64
"""Compiled grammars kept per tokenizer."""

_XGRAMMAR_INSTALL = "constrained tool calls need xgrammar: pip install 'agentsdk[kit]'"


def _xgrammar() -> Any:
    try:
        import xgrammar
    except ImportError as exc:
        raise MissingDependencyError(_XGRAMMAR_INSTALL) from exc
    return xgrammar


# -- schemas -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool as the constrained path sees it."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    """The parameters' JSON schema, as given (bounded only when compiled)."""


def tool_specs(tools: Sequence[ToolSchema]) -> tuple[ToolSpec, ...]:
    """Read OpenAI-format tools (or bare {"name", "description", "parameters"} dicts)."""
    specs: list[ToolSpec] = []
    for tool in tools:
        function = tool.get("function", tool)
        if not isinstance(function, Mapping):
            raise ConfigurationError(f"a tool must be a mapping with a 'function', not {tool!r}")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"a tool needs a non-empty string 'name': {tool!r}")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        if not isinstance(parameters, Mapping):
            raise ConfigurationError(f"the parameters of tool {name!r} must be a JSON schema")
        description = function.get("description") or ""
        specs.append(ToolSpec(name, str(description), parameters))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"tool names must be unique, got {names}")
    return tuple(specs)


def bound_schema(
    schema: Any, *, max_length: int = ARGUMENT_MAX_LENGTH, max_items: int = MAX_ITEMS
) -> Any:
    """A copy of `schema` where every string has a `maxLength` and every array a
    `maxItems` (existing bounds are kept), so that a constrained generation can end."""
    if isinstance(schema, Mapping):
        out = {
            k: bound_schema(v, max_length=max_length, max_items=max_items)
            for k, v in schema.items()
        }
        types = schema.get("type")
        type_set = {types} if isinstance(types, str) else set(types or ())
        is_string = "string" in type_set or (not type_set and "pattern" in schema)
        if is_string and "maxLength" not in schema and "enum" not in schema:
            out["maxLength"] = max(max_length, int(schema.get("minLength", 0)))
        if "array" in type_set and "maxItems" not in schema:
            out["maxItems"] = max(max_items, int(schema.get("minItems", 0)))
        return out
    if isinstance(schema, list):
        return [bound_schema(v, max_length=max_length, max_items=max_items) for v in schema]
    return schema


def _object_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(parameters)
    if "type" not in schema:
        schema["type"] = "object"
    return schema


def answer_schema(*, max_length: int = ANSWER_MAX_LENGTH) -> dict[str, Any]:
    """The schema of a plain answer: {"answer": string}."""
    return {
        "type": "object",
        "properties": {"answer": {"type": "string", "maxLength": max_length}},
        "required": ["answer"],
    }


def call_schema(spec: ToolSpec, *, max_length: int = ARGUMENT_MAX_LENGTH) -> dict[str, Any]:
    """The schema of a call to one tool: {"tool": name, "arguments": parameters}."""
    return {
        "type": "object",
        "properties": {
            "tool": {"const": spec.name},
            "arguments": bound_schema(_object_schema(spec.parameters), max_length=max_length),
        },
        "required": ["tool", "arguments"],
    }


def reply_schema(
    specs: Sequence[ToolSpec],
    *,
    answer: bool = True,
    answer_max_length: int = ANSWER_MAX_LENGTH,
    argument_max_length: int = ARGUMENT_MAX_LENGTH,
) -> dict[str, Any]:
    """Either an answer or a call to one of `specs` (anyOf), with bounded strings."""
    branches = [answer_schema(max_length=answer_max_length)] if answer else []
    branches += [call_schema(s, max_length=argument_max_length) for s in specs]
    if not branches:
        raise ConfigurationError("a reply schema needs the answer branch or at least one tool")
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _canonical(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(schema):
            value = schema[key]
            if key == "properties" and isinstance(value, Mapping):
                out[key] = {name: _canonical(sub) for name, sub in value.items()}
            else:
                out[key] = _canonical(value)
        return out
    if isinstance(schema, list | tuple):
        return [_canonical(v) for v in schema]
    return schema


def canonical_json(schema: Any) -> str:
    """The JSON text two equal schemas share: keys sorted, no spaces, except that the
    order of "properties" is kept (the grammar writes properties in that order)."""
    return json.dumps(_canonical(schema), separators=(",", ":"), ensure_ascii=False)


# -- prompt --------------------------------------------------------------------------


def _type_label(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    types = schema.get("type")
    if isinstance(types, list):
        return " | ".join(str(t) for t in types)
    if types == "array" and isinstance(schema.get("items"), Mapping):
        return f"{_type_label(schema['items'])}[]"
    return str(types or "any")


def _signature(spec: ToolSpec) -> str:
    properties = spec.parameters.get("properties") or {}
    required = set(spec.parameters.get("required") or ())
    params = []
    for name, schema in properties.items():
        label = _type_label(schema) if isinstance(schema, Mapping) else "any"
        params.append(f"{name}{'' if name in required else '?'}: {label}")
    return f"{spec.name}({', '.join(params)})"


def tool_prompt(specs: Sequence[ToolSpec], *, answer: bool = True) -> str:
    """The system section that tells the model which tools exist and how to reply
    (`answer`: whether a plain answer is one of the options)."""
    lines = ["You can use these tools:"] if specs else []
    for spec in specs:
        description = " ".join(spec.description.split())
        lines.append(f"- {_signature(spec)}" + (f": {description}" if description else ""))
        for name, schema in (spec.parameters.get("properties") or {}).items():
            about = schema.get("description") if isinstance(schema, Mapping) else None
            if isinstance(about, str) and about.strip():
                lines.append(f"  {name}: {' '.join(about.split())}")
    formats = ['To use a tool: {"tool": "<name>", "arguments": {...}}.'] if specs else []
    if answer or not specs:
        formats.append('To answer without a tool: {"answer": "<your answer>"}.')
    lines.append(" ".join(["Reply with JSON only.", *formats]))
    return "\n".join(lines)


def render_call(call: ToolCall) -> str:
    """A tool call as the model would have written it."""
    return json.dumps({"tool": call.name, "arguments": dict(call.arguments)}, ensure_ascii=False)


def prepare_conversation(
    messages: Sequence[Message], specs: Sequence[ToolSpec], *, answer: bool = True
) -> list[dict[str, Any]]:
    """The conversation in chat-template form, with the tool section in the system
    message and earlier tool calls written in the reply format."""
    section = tool_prompt(specs, answer=answer)
    conversation: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "assistant" and message.tool_calls:
            lines = ([message.content] if message.content else []) + [
                render_call(c) for c in message.tool_calls
            ]
            conversation.append({"role": "assistant", "content": "\n".join(lines)})
        else:
            conversation.append({"role": message.role, "content": message.content})
    if conversation and conversation[0]["role"] == "system":
        conversation[0]["content"] = f"{conversation[0]['content']}\n\n{section}".strip()
    else:
        conversation.insert(0, {"role": "system", "content": section})
    return conversation


# -- parsing -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedReply:
    """A constrained reply, read: the answer text, or one tool call."""

    text: str
    call: ToolCall | None = None


def parse_reply(text: str, specs: Sequence[ToolSpec]) -> ParsedReply | None:
    """Read a reply in the constrained format; None when it is not one (cut, or wrong)."""
    try:
        data = json.loads(text, strict=False)  # the grammar allows raw control characters
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if set(data) == {"answer"} and isinstance(data["answer"], str):
        return ParsedReply(data["answer"])
    names = {s.name for s in specs}
    if set(data) == {"tool", "arguments"} and data["tool"] in names:
        arguments = data["arguments"]
        if isinstance(arguments, dict):
            return ParsedReply("", ToolCall(str(data["tool"]), arguments))
    return None


_ANSWER_START = re.compile(r'\s*\{\s*"answer"\s*:\s*"')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def partial_answer(text: str) -> str | None:
    """The answer so far of a reply being written (`{"answer": "...`), unescaped; None
    while the reply is not (or not yet known to be) an answer. A trailing escape or
    a partial UTF-8 character is held back until it is complete."""
    opening = _ANSWER_START.match(text)
    if opening is None:
        return None
    out: list[str] = []
    i, end = opening.end(), len(text.rstrip("\ufffd"))
    while i < end:
        char = text[i]
        if char == '"':
            break
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= end:
            break
        kind = text[i + 1]
        if kind != "u":
            out.append(_ESCAPES.get(kind, kind))
            i += 2
            continue
        digits = text[i + 2 : i + 6]
        if len(digits) < 4:
            break
        try:
            code = int(digits, 16)
        except ValueError:
            break
        if 0xD800 <= code < 0xDC00:  # a surrogate pair: wait for its second half
            low = text[i + 8 : i + 12]
            if text[i + 6 : i + 8] != "\\u" or len(low) < 4:
                break
            try:
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
            except ValueError:
                break
            i += 6
        out.append(chr(code))
        i += 6
    return "".join(out)


# -- grammars and the logits processor -------------------------------------------------


_StringState = tuple[bool, bool]
"""(inside a string, right after a backslash there)."""


def _scan(state: _StringState, raw: bytes) -> _StringState:
    """The string state after the bytes `raw`: tells string content from structure."""
    in_string, escaped = state
    for byte in raw:
        if not in_string:
            in_string = byte == 0x22  # '"'
        elif escaped:
            escaped = False
        elif byte == 0x5C:  # backslash
            escaped = True
        elif byte == 0x22:
            in_string = False
    return in_string, escaped


class _Vocabulary:
    """Token tables the budget guard chooses its closing path from."""

    def __init__(self, decoded: Sequence[bytes], vocab_size: int, stop_ids: Sequence[int]) -> None:
        import numpy as np

        self.size = vocab_size
        self.decoded = list(decoded[:vocab_size]) + [b""] * max(0, vocab_size - len(decoded))
        lengths = np.array([len(raw) for raw in self.decoded], dtype=np.int64)

        def group(test: Callable[[bytes], bool]) -> npt.NDArray[np.int64]:
            ids = [t for t, raw in enumerate(self.decoded) if raw and test(raw)]
            return np.array(sorted(ids, key=lambda t: -lengths[t]), dtype=np.int64)

        def brackets(raw: bytes) -> bool:
            return all(b in b"}]" for b in raw)

        self.stop_ids = np.array(sorted(set(stop_ids)), dtype=np.int64)
        # preferences inside a string: end it (and what it closes)
        self.quote_closers = group(lambda r: r[:1] == b'"' and brackets(r[1:]))
        # outside: close brackets, else write the smallest values and the forced keys
        self.bracket_closers = group(brackets)
        self.empty_strings = group(lambda r: r[:2] == b'""' and brackets(r[2:]))
        self.zeros = group(lambda r: r == b"0")
        self.separators = group(lambda r: r[:1] in (b",", b":"))
        self.quotes = group(lambda r: r == b'"')
        self.by_length = np.argsort(-lengths, kind="stable")
        # xgrammar lets a UTF-16 surrogate (ED A0..BF ..) through, which is not UTF-8:
        # after a lone ED byte these tokens are masked
        words = (vocab_size + 31) // 32
        keep = np.ones(words * 32, dtype=bool)
        keep[[t for t, raw in enumerate(self.decoded) if raw and 0xA0 <= raw[0] <= 0xBF]] = False
        self.after_ed_keep = np.packbits(keep, bitorder="little").view(np.int32)

    @staticmethod
    def allowed(words: npt.NDArray[np.int32], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return ((words[ids >> 5] >> (ids & 31)) & 1).astype(bool)  # type: ignore[no-any-return]

    def closing_choice(self, words: npt.NDArray[np.int32], state: _StringState) -> int | None:
        """The next token of the shortest-closing policy in the grammar state `words`
        describes: -1 when the reply may end here, None when nothing is allowed."""
        if self.allowed(words, self.stop_ids).any():
            return -1
        in_string, escaped = state
        if in_string:
            groups = [] if escaped else [self.quote_closers]
        else:
            groups = [
                self.bracket_closers,
                self.empty_strings,
                self.zeros,
                self.separators,
                self.quotes,
            ]
        for ids in [*groups, self.by_length]:
            hits = self.allowed(words, ids)
            if hits.any():
                return int(ids[hits.argmax()])
        return None


class ToolGrammars:
    """Compiles reply grammars for one tokenizer and keeps them (LRU, keyed by the
    schema's canonical JSON). Thread-safe."""

    def __init__(self, tokenizer: Any, *, vocab_size: int, stop_ids: Sequence[int]) -> None:
        xgr = _xgrammar()
        self.vocab_size = vocab_size
        self.stop_ids = list(stop_ids)
        self._info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        self._compiler: xgrammar.GrammarCompiler = xgr.GrammarCompiler(
            self._info, max_threads=2, cache_enabled=False
        )
        self._cache: OrderedDict[str, xgrammar.CompiledGrammar] = OrderedDict()
        self._lock = threading.Lock()
        self._vocabulary: _Vocabulary | None = None
        self.compilations = 0
        """How many grammars were compiled (cache misses), for tests and traces."""

    @property
    def vocabulary(self) -> _Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = _Vocabulary(self._info.decoded_vocab, self.vocab_size, self.stop_ids)
        return self._vocabulary

    def compile(self, schema: Mapping[str, Any]) -> xgrammar.CompiledGrammar:
        """The compiled grammar of `schema` (compact JSON, no free whitespace), cached."""
        key = canonical_json(schema)
        with self._lock:
            compiled = self._cache.get(key)
            if compiled is not None:
                self._cache.move_to_end(key)
                return compiled
            try:
                compiled = self._compiler.compile_json_schema(
                    key, any_whitespace=False, strict_mode=True
                )
            except Exception as exc:  # xgrammar raises RuntimeError/ValueError subtypes
                raise ConfigurationError(f"could not compile the tool schemas: {exc}") from exc
            self.compilations += 1
            self._cache[key] = compiled
            while len(self._cache) > GRAMMAR_CACHE_SIZE:
                self._cache.popitem(last=False)
            return compiled

    def processor(
        self,
        compiled: xgrammar.CompiledGrammar,
        *,
        max_new_tokens: int,
        repetition_penalty: float | None = REPETITION_PENALTY,
        prefix: str = "",
    ) -> GrammarLogitsProcessor:
        """A fresh logits processor for one `generate` call."""
        return GrammarLogitsProcessor(
            self,
            compiled,
            max_new_tokens=max_new_tokens,
            repetition_penalty=repetition_penalty,
            prefix=prefix,
        )


class GrammarLogitsProcessor:
    """Masks the tokens the grammar forbids, penalises repeated content tokens and
    forces the JSON closed before `max_new_tokens` runs out. One per `generate` call
    (batch size 1); works with streaming since it reads the tokens from `input_ids`."""

    def __init__(
        self,
        grammars: ToolGrammars,
        compiled: Any,
        *,
        max_new_tokens: int,
        repetition_penalty: float | None = REPETITION_PENALTY,
        prefix: str = "",
    ) -> None:
        xgr = _xgrammar()
        self._xgr = xgr
        self._vocabulary = grammars.vocabulary
        self._matcher = xgr.GrammarMatcher(compiled, override_stop_tokens=grammars.stop_ids)
        if prefix and not self._matcher.accept_string(prefix):
            raise GenerationError(f"the grammar refuses the reply prefix {prefix!r}")
        self._bitmask = xgr.allocate_token_bitmask(1, grammars.vocab_size)
        self._scratch = xgr.allocate_token_bitmask(1, grammars.vocab_size)
        self._max_new_tokens = max_new_tokens
        self._penalty = repetition_penalty if repetition_penalty not in (None, 1.0) else None
        self._started = False
        self._generated: list[int] = []
        self._state = _scan((False, False), prefix.encode())
        self._after_ed = False
        self._content: set[int] = set()
        self._next_check = 0
        self.forced = 0
        """Tokens the budget guard forced."""

    def _accept(self, token: int) -> None:
        if not self._matcher.accept_token(token):
            raise GenerationError(f"the grammar refused token {token}")
        self._generated.append(token)
        raw = self._vocabulary.decoded[token]
        if self._state[0] and 0x22 not in raw:
            self._content.add(token)
        self._state = _scan(self._state, raw)
        self._after_ed = raw.endswith(b"\xed") if raw else self._after_ed

    def _fill(self, matcher: Any, bitmask: Any, after_ed: bool) -> None:
        matcher.fill_next_token_bitmask(bitmask)
        if after_ed:
            words = bitmask[0].numpy()
            words &= self._vocabulary.after_ed_keep[: words.shape[0]]

    def _penalise(self, scores: Any) -> None:
        """Repetition penalty on the string content written so far, applied while
        writing string content (never to quotes, so a string can always close)."""
        import torch

        if self._penalty is None or not self._state[0] or not self._content:
            return
        ids = torch.tensor(sorted(self._content), dtype=torch.long, device=scores.device)
        picked = scores[0, ids]
        scores[0, ids] = torch.where(picked < 0, picked * self._penalty, picked / self._penalty)

    def _closing_path(self, limit: int) -> list[int] | None:
        """The budget guard's closing path from the current state (tokens to write
        before the reply may end), or None when it is longer than `limit`."""
        matcher = self._matcher.fork()
        words = self._scratch[0].numpy()
        state, after_ed = self._state, self._after_ed
        path: list[int] = []
        while len(path) <= limit:
            self._fill(matcher, self._scratch, after_ed)
            token = self._vocabulary.closing_choice(words, state)
            if token == -1:
                return path
            if token is None or not matcher.accept_token(token):
                return None
            path.append(token)
            raw = self._vocabulary.decoded[token]
            state = _scan(state, raw)
            after_ed = raw.endswith(b"\xed") if raw else after_ed
        return None

    def _forced_token(self, remaining: int) -> int | None:
        if len(self._generated) < self._next_check and remaining > CLOSING_MARGIN:
            return None
        path = self._closing_path(remaining)
        if path is None:  # cannot close in time any more: leave it to the retry
            return None
        slack = remaining - len(path) - CLOSING_MARGIN
        if slack > 0:  # check again before the slack could be used up
            self._next_check = len(self._generated) + max(1, slack // 4)
            return None
        return path[0] if path else None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if input_ids.shape[0] != 1:
            raise GenerationError("constrained decoding supports one sequence at a time")
        if self._started:
            self._accept(int(input_ids[0, -1]))
        self._started = True
        if self._matcher.is_terminated():
            return scores
        forced = self._forced_token(self._max_new_tokens - len(self._generated))
        if forced is not None:
            self.forced += 1
            out = torch.full_like(scores, -math.inf)
            out[0, forced] = 0.0
            return out
        self._penalise(scores)
        self._fill(self._matcher, self._bitmask, self._after_ed)
        if scores.device.type == "cpu":
            self._xgr.apply_token_bitmask_inplace(scores, self._bitmask)
        else:
            self._xgr.apply_token_bitmask_inplace(scores, self._bitmask.to(scores.device))
        return scores


# -- choosing the branch ---------------------------------------------------------------


def answer_opening() -> str:
    """The start of an answer reply; generation continues after it."""
    return '{"answer'


def call_opening(name: str) -> str:
    """The start of a reply that calls `name`; generation continues after it."""
    return '{"tool": ' + json.dumps(name, ensure_ascii=False) + ', "arguments'


# -- ranking tools against the request -------------------------------------------------


@runtime_checkable
class ToolRanker(Protocol):
    """Scores how relevant each tool is to a request (higher is more relevant)."""

    threshold: float | None
    """Tools scoring below it are not offered (None: no floor)."""

    def scores(self, request: str, specs: Sequence[ToolSpec]) -> list[float]:
        """One score per tool of `specs`."""
        ...


def tool_text(spec: ToolSpec) -> str:
    """What a tool is compared with: its name in words and its description."""
    return f"{spec.name.replace('_', ' ')}: {' '.join(spec.description.split())}"


def request_paragraphs(request: str) -> list[str]:
    """The request's paragraphs (split at blank lines), without lines that only mark
    the start or end of a prompt section ("<<<...>>>"); the whole text if none remain."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", request):
        lines = [line for line in block.splitlines() if not line.strip().startswith("<<<")]
        if " ".join(lines).strip():
            paragraphs.append("\n".join(lines).strip())
    return paragraphs or [request]


STOCK_RANKER_THRESHOLD = 0.24
"""Relevance floor of `EmbeddingToolRanker.stock()`, chosen on the calibration set
(evals/tool_calls/calibration*.json*, its own tools and requests, not the eval suite):
`python tools/calibrate_tool_ranker.py`."""


class EmbeddingToolRanker:
    """Ranks tools by the cosine similarity of sentence embeddings (mean-pooled,
    normalised) of the request and of each tool's name and description.

    `load` returns a transformers (tokenizer, model) pair, such as the stock kit's
    all-MiniLM-L6-v2; it is called on first use. Tool embeddings are cached.
    """

    def __init__(self, load: Callable[[], tuple[Any, Any]], *, threshold: float | None = None):
        self._load = load
        self.threshold = threshold
        self._pair: tuple[Any, Any] | None = None
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def stock(cls, *, threshold: float | None = STOCK_RANKER_THRESHOLD) -> EmbeddingToolRanker:
        """The stock kit's embedding model (all-MiniLM-L6-v2), loaded on first use."""

        def load() -> tuple[Any, Any]:
            from agentsdk import weights

            pair: tuple[Any, Any] = weights.load_component(weights.STOCK_COMPONENTS["embeddings"])
            return pair

        return cls(load, threshold=threshold)

    def embed(self, texts: Sequence[str]) -> Any:
        """Normalised mean-pooled embeddings, one row per text."""
        import torch

        if self._pair is None:
            self._pair = self._load()
        tokenizer, model = self._pair
        batch = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        device = getattr(model, "device", None) or next(model.parameters()).device
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"][..., None].to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), dim=-1)

    def scores(self, request: str, specs: Sequence[ToolSpec]) -> list[float]:
        """Each tool's best similarity to any paragraph of the request: a long message
        (a question followed by a receipt's OCR lines, say) is judged by its most
        relevant part, not diluted by the rest."""
        import torch

        with self._lock:
            texts = [tool_text(s) for s in specs]
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                for text, row in zip(missing, self.embed(missing), strict=True):
                    self._cache[text] = row
            tools = torch.stack([self._cache[t] for t in texts])
            queries = self.embed(request_paragraphs(request))
        return [float(s) for s in (tools @ queries.T).max(dim=1).values]


def select_tools(
    ranker: ToolRanker,
    request: str,
    specs: Sequence[ToolSpec],
    *,
    keep: int = 1,
    exclude: Collection[str] = (),
) -> tuple[ToolSpec, ...]:
    """The tools to offer for `request`: at most `keep`, best first, none scoring under
    the ranker's threshold and none named in `exclude`."""
    candidates = [s for s in specs if s.name not in exclude]
    if not candidates:
        return ()
    scores = ranker.scores(request, candidates)
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    floor = ranker.threshold
    chosen = [candidates[i] for i in order if floor is None or scores[i] >= floor]
    return tuple(chosen[: max(1, keep)])
