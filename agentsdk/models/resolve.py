"""Model names: `"stock"`, `"local:PATH"`, `"openai:MODEL@URL"`."""

from __future__ import annotations

import threading
from pathlib import Path

from agentsdk.errors import UnsupportedModelError
from agentsdk.models.base import ChatModel

__all__ = ["resolve_model"]

_local: dict[str, ChatModel] = {}
_local_lock = threading.Lock()

_FORMS = (
    "'stock' (the kit's SmolLM2-135M), 'local:PATH' (a checkpoint folder or a .gguf file), "
    "'openai:MODEL@URL' (a remote OpenAI-compatible server)"
)


def resolve_model(model: str | ChatModel) -> ChatModel:
    """A chat model from a name, or the model itself when given one.

    Local models are loaded once per path and shared in the process.
    """
    if not isinstance(model, str):
        if isinstance(model, ChatModel):
            return model
        raise UnsupportedModelError(
            f"{type(model).__name__} is not a chat model (it lacks name/generate/stream)"
        )
    scheme, _, rest = model.partition(":")
    if model == "stock":
        from agentsdk.kit import Kit

        return Kit.stock().llm
    if scheme == "local" and rest:
        from agentsdk.models.local import LocalModel

        key = str(Path(rest).expanduser().resolve())
        with _local_lock:
            if key not in _local:
                _local[key] = LocalModel.from_pretrained(key)
            return _local[key]
    if scheme == "openai" and rest:
        raise UnsupportedModelError(
            f"{model!r}: the remote OpenAI-compatible backend is not part of this release yet; "
            "use 'stock' or 'local:PATH' for now"
        )
    raise UnsupportedModelError(f"unknown model name {model!r}; use one of {_FORMS}")
