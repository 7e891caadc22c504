"""LoRA adapters on a local checkpoint (`agentsdk.models.adapters`): applied by
`LocalModel.from_pretrained(..., adapter=...)`, refused for another base, and typed
errors for a missing or broken folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentsdk import ConfigurationError, ModelNotFoundError
from agentsdk.models.local import LocalModel
from tests.tiny_models import build_tiny_chat_checkpoint


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)


@pytest.fixture(scope="module")
def adapter(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An adapter trained for a few steps on the tiny checkpoint."""
    import json

    from agentsdk.learn.train import train_adapter

    folder = tmp_path_factory.mktemp("adapter")
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "Paris."}]}
        for q in ("What is the capital of France?", "Capital of France?")
    ]
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = train_adapter(
        folder, tiny_checkpoint, folder / "paris", epochs=2, learning_rate=1e-2, progress=False
    )
    return summary.adapter


def test_an_adapter_is_merged_into_the_weights(
    tiny: LocalModel, tiny_checkpoint: Path, adapter: Path
) -> None:
    import torch

    adapted = LocalModel.from_pretrained(tiny_checkpoint, adapter=adapter)
    assert adapted.load_info is not None and adapted.load_info.adapter == adapter
    assert adapted.name == f"{tiny_checkpoint.name}+paris"
    assert type(adapted.model) is type(tiny.model)  # merged: no peft wrapper left
    assert not any("lora" in name for name, _ in adapted.model.named_parameters())
    ids = tiny.tokenizer("What is the capital of France?", return_tensors="pt")
    with torch.no_grad():
        assert not torch.allclose(adapted.model(**ids).logits, tiny.model(**ids).logits)


def test_an_adapter_for_another_base_is_refused(tmp_path: Path, adapter: Path) -> None:
    other = build_tiny_chat_checkpoint(tmp_path / "other", eos_first=True)
    with pytest.raises(ConfigurationError, match="trained on another base model"):
        LocalModel.from_pretrained(other, adapter=adapter)


def test_a_missing_or_broken_adapter_is_a_typed_error(
    tmp_path: Path, tiny_checkpoint: Path, adapter: Path
) -> None:
    from agentsdk import ModelLoadError

    with pytest.raises(ModelNotFoundError, match="no adapter"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=tmp_path / "none")
    broken = tmp_path / "broken"
    shutil.copytree(adapter, broken)
    (broken / "adapter_model.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(ModelLoadError, match="could not apply the adapter"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=broken)
    (broken / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="incomplete"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=broken)
    (broken / "agentsdk-adapter.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=broken)
    (broken / "agentsdk-adapter.json").write_text('{"base": {}}')
    with pytest.raises(ModelLoadError, match="does not name its base"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=broken)
    (broken / "agentsdk-adapter.json").unlink()
    with pytest.raises(ModelLoadError, match="not an agentsdk adapter"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=broken)


def test_an_adapter_cannot_merge_into_weights_on_disk(tiny_checkpoint: Path, adapter: Path) -> None:
    with pytest.raises(ConfigurationError, match="offloaded to disk"):
        LocalModel.from_pretrained(
            tiny_checkpoint, adapter=adapter, device_map={"model": "cpu", "lm_head": "disk"}
        )


def test_the_base_identity_is_the_gguf_hash_or_the_weights_hash(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from agentsdk.models.adapters import checkpoint_identity

    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    assert checkpoint_identity(copy) == checkpoint_identity(tiny_checkpoint)
    assert checkpoint_identity(copy).startswith("weights-sha256:")
    (copy / "agentsdk-gguf.json").write_text('{"source": "x.gguf", "sha256": "abc"}')
    assert checkpoint_identity(copy) == "gguf-sha256:abc"
    with pytest.raises(ModelNotFoundError, match="no weight files"):
        checkpoint_identity(tmp_path)
