"""LoRA adapters on a local checkpoint (`agentsdk.models.adapters`): applied by
`LocalModel.from_pretrained(..., adapter=...)`, used only where they learned (scope
"trained") or everywhere ("all"), refused for another base, and typed errors for a
missing or broken folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentsdk import ConfigurationError, Message, ModelLoadError, ModelNotFoundError
from agentsdk.models.adapters import AdapterScope
from agentsdk.models.local import LocalModel
from tests.models.toolcalls.samples import ECHO
from tests.tiny_models import build_tiny_chat_checkpoint


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)


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


# -- scope: where an adapter applies ---------------------------------------------------


def test_a_scope_covers_the_prompts_it_learned_from() -> None:
    refunds = AdapterScope(frozenset({"refund"}), plain=False)
    assert refunds.applies(["refund"]) and refunds.applies(["lookup", "refund"])
    assert not refunds.applies(["current_time"]) and not refunds.applies([])
    chat = AdapterScope(frozenset(), plain=True)
    assert chat.applies([]) and not chat.applies(["refund"])
    assert AdapterScope.from_metadata({"scope": {"tools": ["b", "a"], "plain": True}}) == (
        AdapterScope(frozenset({"a", "b"}), plain=True)
    )
    assert AdapterScope.from_metadata({"base": {}}) is None  # saved without: everywhere
    with pytest.raises(ModelLoadError, match=r"scope\.tools"):
        AdapterScope.from_metadata({"scope": {"tools": "refund"}})


def _same_weights(a: LocalModel, b: LocalModel) -> bool:
    import torch

    theirs = dict(b.model.named_parameters())
    return all(torch.equal(p, theirs[name]) for name, p in a.model.named_parameters())


def test_a_trained_scope_writes_only_what_it_learned_with_the_adapter(
    tiny: LocalModel, tiny_checkpoint: Path, adapter: Path
) -> None:
    """The adapter learned plain chat: a reply with a tool is the base's, a plain reply
    the merged adapter's, and the reader's likelihoods are the base's."""
    scoped = LocalModel.from_pretrained(tiny_checkpoint, adapter=adapter)
    everywhere = LocalModel.from_pretrained(tiny_checkpoint, adapter=adapter, adapter_scope="all")
    assert scoped.adapter_scope == AdapterScope(frozenset(), plain=True)
    assert scoped.load_info is not None and scoped.load_info.adapter_scope == "trained"
    assert everywhere.adapter_scope is None  # merged, no base weights kept
    assert everywhere.load_info is not None and everywhere.load_info.adapter_scope == "all"

    question = [Message.user("What is the capital of France?")]
    with_tool = scoped.generate(question, tools=[ECHO])
    assert _same_weights(scoped, tiny)
    before = tiny.generate(question, tools=[ECHO])
    assert [(c.name, c.arguments) for c in with_tool.tool_calls] == [
        (c.name, c.arguments) for c in before.tool_calls
    ]
    assert with_tool.text == before.text

    plain = scoped.generate(question)
    assert _same_weights(scoped, everywhere)
    assert not _same_weights(scoped, tiny)
    assert plain.text == everywhere.generate(question).text
    assert "".join(scoped.stream(question)) == plain.text

    prompt = tiny.chat_prompt("what is the capital of france, please tell me now")
    assert scoped.likelihoods(prompt, ["Paris.", "ok"]) == pytest.approx(
        tiny.likelihoods(prompt, ["Paris.", "ok"])
    )
    assert _same_weights(scoped, tiny)


def test_an_unknown_scope_is_refused(tiny_checkpoint: Path, adapter: Path) -> None:
    with pytest.raises(ConfigurationError, match="adapter_scope"):
        LocalModel.from_pretrained(tiny_checkpoint, adapter=adapter, adapter_scope="some")  # type: ignore[arg-type]
