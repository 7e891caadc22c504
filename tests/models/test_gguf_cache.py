"""GGUF -> safetensors conversion cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk import GenerationSettings, LocalModel, Message, ModelNotFoundError
from agentsdk._files import file_sha256
from agentsdk.models.gguf_cache import MARKER, cached_checkpoint, converted_dir
from agentsdk.weights import STOCK_COMPONENTS, locate


def test_cache_folder_is_keyed_by_content(tmp_path: Path) -> None:
    first, second = tmp_path / "a.gguf", tmp_path / "b.gguf"
    first.write_bytes(b"same bytes")
    second.write_bytes(b"same bytes")
    assert converted_dir(first, tmp_path / "cache") == converted_dir(second, tmp_path / "cache")
    second.write_bytes(b"other bytes")
    assert converted_dir(first, tmp_path / "cache") != converted_dir(second, tmp_path / "cache")
    assert converted_dir(first, tmp_path / "cache").name == file_sha256(first)[:32]


def test_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not found"):
        cached_checkpoint(tmp_path / "missing.gguf", tmp_path)


def test_a_complete_conversion_is_reused_without_loading(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"not really gguf")
    done = converted_dir(gguf, tmp_path / "cache")
    done.mkdir(parents=True)
    (done / MARKER).write_text("{}")
    assert cached_checkpoint(gguf, tmp_path / "cache") == (done, False)


@pytest.mark.stock
def test_stock_gguf_converts_once_then_loads_from_cache(tmp_path: Path) -> None:
    spec = STOCK_COMPONENTS["llm"]
    gguf = locate(spec) / spec.files[0].path
    cache = tmp_path / "cache"
    # a crashed earlier conversion (no marker) must not be trusted
    converted_dir(gguf, cache).mkdir(parents=True)

    first = LocalModel.from_pretrained(gguf, cache_dir=cache)
    assert first.load_info is not None and first.load_info.source == "gguf-converted"
    assert (first.load_info.checkpoint / "model.safetensors").is_file()
    assert (first.load_info.checkpoint / MARKER).is_file()
    second = LocalModel.from_pretrained(gguf, cache_dir=cache)
    assert second.load_info is not None and second.load_info.source == "gguf-cache"
    assert second.load_info.seconds < first.load_info.seconds / 3
    assert not any(p.name.startswith(".tmp-") for p in cache.iterdir())

    question = [Message.user("What is the capital of France?")]
    settings = GenerationSettings(max_tokens=16)
    assert first.generate(question, settings=settings) == second.generate(
        question, settings=settings
    )
