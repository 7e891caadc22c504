"""Adapters: a rule a tiny model learned is what it writes once the adapter is loaded,
constrained tool calls stay schema-valid, the metadata reads back, the kit passes the
adapter to its LLM, and saving never leaves half an adapter."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentsdk import ConfigurationError, Kit, Message, ModelLoadError, ModelNotFoundError
from agentsdk.learn.adapters import (
    AdapterInfo,
    adapter_path,
    adapters_root,
    list_adapters,
    read_adapter,
    save_adapter,
)
from agentsdk.learn.train import TrainSummary, train_adapter
from agentsdk.models.adapters import ADAPTER_METADATA, checkpoint_identity
from agentsdk.models.local import LocalModel
from tests.learn.datasets import ADD
from tests.models.toolcalls.samples import ECHO

WORDS = [
    "what",
    "is",
    "the",
    "sum",
    "of",
    "these",
    "numbers",
    "please",
    "add",
    "them",
    "for",
    "me",
    "now",
]


def requests(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) for _ in range(count)]


@pytest.fixture(scope="module")
def rule(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainSummary:
    """The tiny model trained many steps on one fixed reply: whatever the user says,
    call add(a=2, b=3). Its lm_head gets an adapter too: a random 32-wide model cannot
    become confident through its attention alone."""
    folder = tmp_path_factory.mktemp("rule")
    rows = [
        {
            "messages": [
                {"role": "user", "content": text},
                {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": "add", "arguments": {"b": 3, "a": 2}}}],
                },
            ],
            "tools": [ADD, ECHO],
        }
        for text in requests(16, seed=0)
    ]
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return train_adapter(
        folder,
        tiny_checkpoint,
        folder / "always-add",
        epochs=25,
        learning_rate=3e-2,
        target_modules=["q_proj", "v_proj", "lm_head"],
        progress=False,
    )


@pytest.fixture(scope="module")
def adapted(tiny_checkpoint: Path, rule: TrainSummary) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint, adapter=rule.adapter)


@pytest.fixture(scope="module")
def base(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)


def test_the_learned_reply_is_what_the_adapted_model_writes(
    adapted: LocalModel, base: LocalModel, rule: TrainSummary
) -> None:
    assert rule.final_loss < 0.2
    for text in requests(3, seed=1):  # requests it never saw
        reply = adapted.generate([Message.user(text)], tools=[ADD, ECHO])
        assert reply.finish_reason == "tool_calls"
        assert [(c.name, dict(c.arguments)) for c in reply.tool_calls] == [
            ("add", {"a": 2, "b": 3})
        ]
        before = base.generate([Message.user(text)], tools=[ADD, ECHO])
        assert [(c.name, dict(c.arguments)) for c in before.tool_calls] != [
            ("add", {"a": 2, "b": 3})
        ]


def test_a_stream_with_tools_gives_what_generate_gives(adapted: LocalModel) -> None:
    messages = [Message.user("add them")]
    stream = adapted.stream(messages, tools=[ADD, ECHO])
    assert "".join(stream) == ""  # a tool call yields no text
    assert stream.response.tool_calls[0].arguments == {"a": 2, "b": 3}


class FixedRanker:
    """A ranker that has chosen one tool (as the stock MiniLM does above its floor)."""

    threshold = 0.5

    def __init__(self, chosen: str) -> None:
        self.chosen = chosen

    def scores(self, request: str, specs: Sequence[Any]) -> list[float]:
        return [1.0 if s.name == self.chosen else 0.0 for s in specs]


@pytest.mark.parametrize("chosen", ["add", "echo"])
def test_constrained_calls_stay_schema_valid_with_an_adapter(
    tiny_checkpoint: Path, rule: TrainSummary, chosen: str
) -> None:
    """Even a tool the adapter never learned to call is called with valid arguments."""
    model = LocalModel.from_pretrained(
        tiny_checkpoint, adapter=rule.adapter, tool_ranker=FixedRanker(chosen)
    )
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in (ADD, ECHO)}
    for seed in range(3):
        reply = model.generate([Message.user(requests(1, seed)[0])], tools=[ADD, ECHO])
        (call,) = reply.tool_calls
        assert call.name == chosen
        jsonschema.validate(dict(call.arguments), schemas[chosen])


def test_the_adapter_leaves_tools_it_never_learned_to_the_base(
    adapted: LocalModel, base: LocalModel, rule: TrainSummary
) -> None:
    """It learned from prompts listing add and echo: a prompt listing only another
    tool gets the base model's reply."""
    scope = json.loads((rule.adapter / ADAPTER_METADATA).read_text())["scope"]
    assert scope == {"tools": ["add", "echo"], "plain": False}
    other = {"type": "function", "function": {**ADD["function"], "name": "plus"}}
    for text in requests(3, seed=2):
        mine = adapted.generate([Message.user(text)], tools=[other])
        theirs = base.generate([Message.user(text)], tools=[other])
        assert [(c.name, c.arguments) for c in mine.tool_calls] == [
            (c.name, c.arguments) for c in theirs.tool_calls
        ]
        assert mine.text == theirs.text


def test_the_adapted_model_has_its_own_weights_and_prompt_cache(
    tiny_checkpoint: Path, rule: TrainSummary, base: LocalModel
) -> None:
    import torch

    adapted = LocalModel.from_pretrained(tiny_checkpoint, adapter=rule.adapter, adapter_scope="all")
    ids = base.tokenizer("what is the sum", return_tensors="pt")
    with torch.no_grad():
        assert not torch.allclose(adapted.model(**ids).logits, base.model(**ids).logits)
    prompt = base.chat_prompt("please add these numbers for me now")  # long enough to cache
    assert base.likelihoods(prompt, ["{", "ok"]) != adapted.likelihoods(prompt, ["{", "ok"])
    assert base._prompt_cache is not None and adapted._prompt_cache is not None
    assert base._prompt_cache[1] is not adapted._prompt_cache[1]


# -- metadata -------------------------------------------------------------------------


def test_the_metadata_reads_back(rule: TrainSummary, tiny_checkpoint: Path) -> None:
    info = read_adapter(rule.adapter)
    assert isinstance(info, AdapterInfo)
    assert info.name == "always-add" and info.path == rule.adapter
    assert info.base_identity == checkpoint_identity(tiny_checkpoint)
    assert info.base_name == tiny_checkpoint.name
    assert info.rows == 16 and info.final_loss == pytest.approx(rule.final_loss)
    assert info.created.endswith("+00:00")
    assert info.metadata["hyperparameters"]["epochs"] == 25
    assert [a.name for a in list_adapters(rule.adapter.parent)] == ["always-add"]


def test_list_adapters_leaves_out_what_is_not_one(tmp_path: Path, rule: TrainSummary) -> None:
    assert list_adapters(tmp_path / "none") == []
    (tmp_path / "junk").mkdir()
    (tmp_path / ".tmp-half").mkdir()
    shutil.copytree(rule.adapter, tmp_path / "good")
    assert [a.name for a in list_adapters(tmp_path)] == ["good"]


def test_read_adapter_refuses_what_is_not_an_adapter(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no adapter"):
        read_adapter(tmp_path / "none")
    with pytest.raises(ModelLoadError, match=ADAPTER_METADATA):
        read_adapter(tmp_path)


def test_adapters_live_in_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AGENTSDK_CACHE", str(tmp_path))
    assert adapters_root() == tmp_path / "adapters"
    assert adapter_path("mine-1.0") == tmp_path / "adapters" / "mine-1.0"
    for bad in ("", "a/b", ".hidden", "x" * 101):
        with pytest.raises(ConfigurationError):
            adapter_path(bad)


class FakePeft:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def save_pretrained(self, folder: str, **options: Any) -> None:
        Path(folder).mkdir()
        (Path(folder) / "adapter_config.json").write_text("{}")
        if self.fail:
            raise RuntimeError("disk full")


def test_saving_replaces_an_adapter_only_when_asked_and_never_by_halves(tmp_path: Path) -> None:
    out = tmp_path / "a"
    save_adapter(FakePeft(), out, {"n": 1})
    with pytest.raises(ConfigurationError, match="exists"):
        save_adapter(FakePeft(), out, {"n": 2})
    with pytest.raises(RuntimeError, match="disk full"):
        save_adapter(FakePeft(fail=True), out, {"n": 3}, overwrite=True)
    assert json.loads((out / ADAPTER_METADATA).read_text()) == {"n": 1}  # the old one stays
    save_adapter(FakePeft(), out, {"n": 4}, overwrite=True)
    assert json.loads((out / ADAPTER_METADATA).read_text()) == {"n": 4}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


# -- the kit --------------------------------------------------------------------------


def test_the_stock_kit_passes_its_adapter_to_the_llm(rule: TrainSummary, tmp_path: Path) -> None:
    kit = Kit.stock(adapter=rule.adapter)
    assert kit._loader_options("llm") == {
        "adapter": str(rule.adapter.resolve()),
        "adapter_scope": "trained",
    }
    everywhere = Kit.stock(adapter=rule.adapter, adapter_scope="all")
    assert everywhere._loader_options("llm")["adapter_scope"] == "all"
    with pytest.raises(ConfigurationError, match="adapter_scope"):
        Kit.stock(adapter=rule.adapter, adapter_scope="tools")  # type: ignore[arg-type]
    assert kit._loader_options("speech") == {}
    assert Kit.stock()._loader_options("llm") == {}
    with pytest.raises(ModelNotFoundError, match="no adapter"):
        Kit.stock(adapter=tmp_path / "none")


def test_the_stock_kit_with_an_adapter_loads_through_the_guarded_loader(
    rule: TrainSummary,
) -> None:
    """The adapted LLM loads where every stock model loads (and is shared apart from
    the plain one): unit tests may not load it, so the guard stops it here."""
    with pytest.raises(AssertionError, match="stock llm"):
        _ = Kit.stock(adapter=rule.adapter).llm
