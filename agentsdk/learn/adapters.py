"""LoRA adapter folders: where they live, what their metadata says, saving one safely.

An adapter folder is what peft's `save_pretrained` writes (`adapter_config.json`,
`adapter_model.safetensors`) plus `agentsdk-adapter.json`, the training metadata::

    {"format": 1, "kind": "lora",
     "base": {"identity": "gguf-sha256:...", "name": "smollm2-135m", ...},
     "dataset": {"sha256": "...", "files": {...}, "rows": 200, "examples": 230, ...},
     "hyperparameters": {"epochs": 1, "learning_rate": ..., "rank": 8, ...},
     "training": {"steps": 50, "seconds": 131.2, "losses": [...], ...},
     "created": "2026-11-28T10:00:00+00:00", "versions": {...}}

`LocalModel.from_pretrained(adapter=...)` reads the base's identity
(`agentsdk.models.local.checkpoint_identity`) and refuses an adapter made for another
model. By default adapters live in `cache_root()/adapters/NAME` (beside the converted
GGUF checkpoints in `cache_root()/gguf`, not inside one: re-converting a model never
deletes its adapters). `save_adapter` writes to a temporary folder and renames it into
place, so an interrupted run never leaves half an adapter behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentsdk._files import cache_root
from agentsdk.errors import ConfigurationError, ModelError
from agentsdk.models.adapters import ADAPTER_METADATA, adapter_metadata

__all__ = [
    "ADAPTER_FORMAT",
    "ADAPTER_METADATA",
    "AdapterInfo",
    "adapter_path",
    "adapters_root",
    "list_adapters",
    "read_adapter",
    "save_adapter",
]

ADAPTER_FORMAT = 1
"""The version of `agentsdk-adapter.json`'s layout."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def adapters_root() -> Path:
    """Where adapters are saved by default: `cache_root()/adapters`."""
    return cache_root() / "adapters"


def adapter_path(name: str, root: Path | None = None) -> Path:
    """The folder of the adapter called `name` (letters, digits, `.`, `_`, `-`)."""
    if not _NAME.match(name) or name in (".", ".."):
        raise ConfigurationError(
            f"adapter name {name!r} must be 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return (root if root is not None else adapters_root()) / name


@dataclass(frozen=True, slots=True)
class AdapterInfo:
    """What an adapter folder's metadata says."""

    path: Path
    """The adapter folder."""
    base_identity: str
    """The identity of the base model it was trained on (`checkpoint_identity`)."""
    base_name: str
    """The base model's name."""
    created: str
    """When it was saved (ISO 8601, UTC)."""
    rows: int
    """Dataset rows it was trained on."""
    final_loss: float | None
    """Mean training loss of the last epoch."""
    metadata: Mapping[str, Any] = field(repr=False)
    """The whole `agentsdk-adapter.json`."""

    @property
    def name(self) -> str:
        return self.path.name


def read_adapter(path: str | Path) -> AdapterInfo:
    """The metadata of the adapter at `path`: ModelNotFoundError when there is no
    folder, ModelLoadError when it is not a complete agentsdk adapter."""
    folder = Path(path).expanduser()
    data = adapter_metadata(folder)
    base = data["base"]
    dataset = data.get("dataset")
    dataset = dataset if isinstance(dataset, dict) else {}
    training = data.get("training")
    training = training if isinstance(training, dict) else {}
    losses = training.get("epoch_losses") or []
    final = losses[-1] if losses and isinstance(losses[-1], int | float) else None
    return AdapterInfo(
        path=folder,
        base_identity=str(base["identity"]),
        base_name=str(base.get("name", "")),
        created=str(data.get("created", "")),
        rows=int(dataset.get("rows", 0)),
        final_loss=None if final is None else float(final),
        metadata=data,
    )


def list_adapters(root: Path | None = None) -> list[AdapterInfo]:
    """The complete adapters under `root` (default `adapters_root()`), by name;
    folders that are not adapters are left out."""
    folder = root if root is not None else adapters_root()
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            found.append(read_adapter(child))
        except ModelError:
            continue
    return found


def save_adapter(
    model: Any, out: Path, metadata: Mapping[str, Any], *, overwrite: bool = False
) -> Path:
    """Save the peft `model`'s adapter and `metadata` to `out`, atomically: written to
    a temporary folder beside it, then renamed into place (an existing adapter is
    replaced only with `overwrite`)."""
    if out.exists() and not overwrite:
        raise ConfigurationError(f"{out} exists: choose another name, or overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.parent / f".tmp-{out.name}-{uuid.uuid4().hex[:8]}"
    old = out.parent / f".old-{out.name}-{uuid.uuid4().hex[:8]}"
    try:
        # the vocabulary is never resized here: an adapter on lm_head needs only its
        # low-rank matrices, not a copy of the embeddings (peft's "auto" would save them)
        model.save_pretrained(str(scratch), save_embedding_layers=False)
        text = json.dumps(dict(metadata), indent=2, ensure_ascii=False)
        (scratch / ADAPTER_METADATA).write_text(text + "\n", encoding="utf-8")
        if out.exists():
            os.rename(out, old)
        os.rename(scratch, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out
