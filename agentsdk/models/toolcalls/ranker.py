"""Choosing the tool before the arguments are written: the embedding tool ranker.

With a `ToolRanker` that has a threshold (`EmbeddingToolRanker.stock()`: the stock kit's
all-MiniLM-L6-v2), the last user request is compared with each tool's name and
description (cosine of mean-pooled, normalised sentence embeddings): the best tool is
called if it scores at least the threshold, else the model answers; the reply is then
constrained to that one branch, starting from its opening (`{"tool": "NAME", "arguments`
or `{"answer`). The threshold (0.24) was chosen on a calibration set with its own tools
and requests (evals/tool_calls/calibration*), not on the eval suite. Without a ranker,
the model chooses as it writes, under the grammar of every option (one stage).

Measured on evals/tool_calls (38 requests, 6 tools, SmolLM2-135M, greedy; now
`agentsdk eval tool_calls`): the right tool, or a direct answer where one is
expected, in 86.8% of the requests with the ranker, 50.0% for the model alone under the
grammar, and 39.5% when the model's likelihood of each option's opening chose first (a
two-stage variant, dropped). A 135M model mostly cannot tell when a tool applies (it
called `send_email` for "Who wrote Hamlet?"); a sentence embedding can.

A request fusion wrote is read with `agentsdk.fences` (fusion's own markers, which live
below the models): the ranker compares the tools with the user's text and the sections'
bodies (a spoken request is a section), not with the preamble, the fence lines or the
note of what the budget left out.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol, runtime_checkable

from agentsdk.fences import split_fused
from agentsdk.models.toolcalls.schema import ToolSpec

__all__ = [
    "STOCK_RANKER_THRESHOLD",
    "EmbeddingToolRanker",
    "ToolRanker",
    "request_paragraphs",
    "select_tools",
    "tool_text",
]


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
    """The request's paragraphs (split at blank lines): those of the user's text and,
    when fusion wrote the request, of each section's body (`fences.split_fused`: not
    the preamble, the fence lines or the budget note); the whole text if none remain."""
    user, bodies = split_fused(request)
    paragraphs = []
    for text in (user, *bodies):
        for block in re.split(r"\n\s*\n", text):
            if block.strip():
                paragraphs.append(block.strip())
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
