"""Model names: `"stock"`, `"local:PATH"`, `"openai:MODEL@URL"`, `"openai:MODEL"`.

`openai:MODEL` reads the server from `$OPENAI_BASE_URL` (default: OpenAI's API) and the
key from `$OPENAI_API_KEY`; `openai:MODEL@URL` names the server (`http://` is added when
missing, `/v1` when the URL has no path). Remote clients are shared per model, URL and
key, so runs reuse their connections.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from agentsdk.errors import UnsupportedModelError
from agentsdk.models.base import ChatModel

__all__ = ["resolve_model"]

_local: dict[str, ChatModel] = {}
_local_lock = threading.Lock()
_remote: dict[tuple[str, str, str], ChatModel] = {}

_FORMS = (
    "'stock' (the kit's SmolLM2-135M), 'local:PATH' (a checkpoint folder or a .gguf file), "
    "'openai:MODEL@URL' or 'openai:MODEL' (a remote OpenAI-compatible server; URL from "
    "OPENAI_BASE_URL)"
)


_CHAT_MODEL_CLASSES: set[type] = set()
"""Classes already found to be chat models (a protocol check costs more than a run's
other bookkeeping, so it is made once per class)."""


def resolve_model(model: str | ChatModel) -> ChatModel:
    """A chat model from a name, or the model itself when given one.

    Local models are loaded once per path and shared in the process.
    """
    if not isinstance(model, str):
        if type(model) in _CHAT_MODEL_CLASSES:
            return model
        if isinstance(model, ChatModel):
            _CHAT_MODEL_CLASSES.add(type(model))
            return model
        raise UnsupportedModelError(
            f"{type(model).__name__} is not a chat model (it lacks name/generate/stream)"
        )
    scheme, _, rest = model.partition(":")
    if model == "stock":  # the stock kit's LLM: the same shared copy as Kit.stock().llm
        from agentsdk.weights import STOCK_COMPONENTS, load_component

        llm: ChatModel = load_component(STOCK_COMPONENTS["llm"])
        return llm
    if scheme == "local" and rest:
        from agentsdk.models.local import LocalModel

        key = str(Path(rest).expanduser().resolve())
        with _local_lock:
            if key not in _local:
                _local[key] = LocalModel.from_pretrained(key)
            return _local[key]
    if scheme == "openai" and rest:
        return _openai_model(rest)
    raise UnsupportedModelError(f"unknown model name {model!r}; use one of {_FORMS}")


def _split_remote(rest: str) -> tuple[str, str | None]:
    """'MODEL@URL' -> (MODEL, URL); a model name may itself hold '@' (the URL starts at
    the last '@' before 'http', or at the last '@')."""
    at = max(rest.rfind("@http://"), rest.rfind("@https://"))
    if at < 0:
        at = rest.rfind("@")
    if at < 0:
        return rest, None
    return rest[:at], rest[at + 1 :]


def _openai_model(rest: str) -> ChatModel:
    from agentsdk.models.openai import DEFAULT_BASE_URL, OpenAIModel, normalise_base_url

    name, url = _split_remote(rest)
    if not name or url == "":
        raise UnsupportedModelError(f"'openai:{rest}': expected 'openai:MODEL@URL'")
    base = normalise_base_url(url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
    key = os.environ.get("OPENAI_API_KEY", "")
    fingerprint = hashlib.sha256(key.encode()).hexdigest()  # never keep the key itself
    with _local_lock:
        cache = (name, base, fingerprint)
        if cache not in _remote:
            _remote[cache] = OpenAIModel(name, base_url=base)
        return _remote[cache]
