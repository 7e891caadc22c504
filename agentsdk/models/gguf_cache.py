"""Convert a GGUF file once to a safetensors checkpoint, cached by the file's sha256.

transformers de-quantises GGUF weights on every load (20-40 s for a 135M model on two
cores). The converted checkpoint reloads in about a second. The cache lives under
`agentsdk._files.cache_root() / "gguf" / <sha256 prefix>`; a conversion is written to
a temporary folder and renamed into place when complete, so a crash or two processes
converting at once never leave a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from agentsdk._files import cache_root, file_sha256
from agentsdk.errors import MissingDependencyError, ModelLoadError, ModelNotFoundError

__all__ = ["cached_checkpoint", "converted_dir"]

MARKER = "agentsdk-gguf.json"


def converted_dir(gguf_path: Path, cache_dir: Path | None = None) -> Path:
    """Where the converted checkpoint of this GGUF file lives (whether or not it exists)."""
    root = cache_dir if cache_dir is not None else cache_root() / "gguf"
    return root / file_sha256(gguf_path)[:32]


def _complete(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def cached_checkpoint(gguf_path: Path, cache_dir: Path | None = None) -> tuple[Path, bool]:
    """A safetensors checkpoint for `gguf_path`, and whether it had to be converted now."""
    if not gguf_path.is_file():
        raise ModelNotFoundError(f"GGUF file not found: {gguf_path}")
    target = converted_dir(gguf_path, cache_dir)
    if _complete(target):
        return target, False
    try:
        import gguf  # noqa: F401  (transformers needs it to read GGUF)
    except ImportError as exc:
        raise MissingDependencyError(
            "reading GGUF files needs the 'gguf' package: pip install 'agentsdk[kit]'"
        ) from exc
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    try:
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
            model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelLoadError(f"transformers could not load GGUF {gguf_path}: {exc}") from exc
        # A GGUF-loaded model refuses save_pretrained until its quantizer is cleared;
        # the weights are already de-quantised to a plain dtype.
        model.hf_quantizer = None  # type: ignore[assignment]
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        marker = {"source": str(gguf_path), "sha256": file_sha256(gguf_path)}
        (scratch / MARKER).write_text(json.dumps(marker, indent=2))
        if target.exists() and not _complete(target):
            shutil.rmtree(target, ignore_errors=True)  # a crashed conversion
        try:
            os.rename(scratch, target)
        except OSError:
            if not _complete(target):  # not another process winning the race
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target, True
