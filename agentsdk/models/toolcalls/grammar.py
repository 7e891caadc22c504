"""The xgrammar grammars of constrained replies and the logits processor.

Each branch's schema is compiled with xgrammar for the model's tokenizer once and
cached (`ToolGrammars`, keyed by the schema's canonical JSON), and a logits processor
masks every token the grammar forbids, so whatever the weights say, the text is a
prefix of a valid reply. "Constrained" is not yet "valid": the text must also *end*.
So:

- every string gets a `maxLength` and every array a `maxItems` (`schema.bound_schema`),
  and no free whitespace is allowed (`any_whitespace=False`);
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

When the tool ranker has chosen the branch, the reply starts from that branch's opening
(`call_opening`, `answer_opening`) and the grammar continues after it.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentsdk.errors import ConfigurationError, GenerationError, MissingDependencyError
from agentsdk.models.toolcalls.schema import canonical_json

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import xgrammar

__all__ = [
    "REPETITION_PENALTY",
    "GrammarLogitsProcessor",
    "ToolGrammars",
    "answer_opening",
    "call_opening",
]

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
