"""train_adapter: training that lowers the loss, and what is saved. A tiny random Llama
here; one stock test trains SmolLM2-135M for a few steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentsdk import ConfigurationError, Message, ModelNotFoundError
from agentsdk.learn.examples import IGNORE, prepare_examples
from agentsdk.learn.train import TrainProgress, train_adapter
from agentsdk.models.adapters import ADAPTER_METADATA, checkpoint_identity
from agentsdk.models.local import LocalModel
from tests.learn.datasets import ADD, CHAT_ROW, add_row, call, write_dataset


def test_training_lowers_the_loss_and_saves_adapter_and_metadata(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    dataset = write_dataset(tmp_path / "data", [add_row(a, 3) for a in range(6)] + [CHAT_ROW])
    seen: list[TrainProgress] = []
    summary = train_adapter(
        dataset,
        tiny_checkpoint,
        tmp_path / "adapter",
        epochs=4,
        learning_rate=2e-2,
        target_modules=["q_proj", "v_proj", "lm_head"],
        batch_size=2,
        progress=seen.append,
    )
    assert summary.epoch_losses[-1] < summary.epoch_losses[0] * 0.8
    assert summary.final_loss == summary.epoch_losses[-1]
    assert summary.rows == 7 and summary.examples == 7 and summary.skipped == {}
    assert summary.steps == 4 * 4 == len(summary.losses) == len(seen)
    assert [p.step for p in seen] == list(range(1, 17)) and seen[-1].steps == 16
    assert summary.rows_per_second > 0 and summary.seconds >= summary.train_seconds
    folder = summary.adapter
    assert {p.name for p in folder.iterdir()} >= {
        "adapter_config.json",
        "adapter_model.safetensors",
        ADAPTER_METADATA,
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    metadata = json.loads((folder / ADAPTER_METADATA).read_text())
    assert metadata["base"]["identity"] == checkpoint_identity(tiny_checkpoint)
    assert metadata["base"]["model_type"] == "llama"
    assert metadata["dataset"]["rows"] == 7 and metadata["dataset"]["turns"] == 13
    assert metadata["dataset"]["files"]["sft.jsonl"] and len(metadata["dataset"]["sha256"]) == 64
    assert metadata["dataset"]["tool_prompt"] == "all"
    assert metadata["scope"] == {"tools": ["add"], "plain": True}  # CHAT_ROW lists none
    assert metadata["hyperparameters"]["rank"] == 8
    assert metadata["hyperparameters"]["target_modules"] == ["q_proj", "v_proj", "lm_head"]
    assert metadata["training"]["epoch_losses"] == list(summary.epoch_losses)
    import torch

    assert metadata["training"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["r"] == 8 and config["lora_alpha"] == 16


def test_the_loss_is_the_models_own_loss_on_the_targets(tiny: LocalModel) -> None:
    """Logits only where a target is predicted give the loss transformers computes."""
    import torch

    from agentsdk.learn.train import _step_loss

    batch = list(prepare_examples(tiny, [add_row(2, 3), CHAT_ROW], tool_prompt="all").examples)
    width = max(len(e.input_ids) for e in batch)
    pad = tiny.tokenizer.pad_token_id
    ids = torch.tensor([list(e.input_ids) + [pad] * (width - len(e.input_ids)) for e in batch])
    labels = torch.tensor([list(e.labels) + [IGNORE] * (width - len(e.labels)) for e in batch])
    mask = torch.arange(width)[None, :] < torch.tensor([len(e.input_ids) for e in batch])[:, None]
    with torch.no_grad():
        expected = tiny.model(input_ids=ids, attention_mask=mask.long(), labels=labels).loss
        assert float(_step_loss(tiny.model, batch, pad, "cpu")) == pytest.approx(
            float(expected), rel=1e-5
        )


def test_the_same_seed_repeats_a_run(tiny_checkpoint: Path, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "data", [add_row(1, 2), CHAT_ROW])
    runs = [
        train_adapter(dataset, tiny_checkpoint, tmp_path / f"a{i}", progress=False)
        for i in range(2)
    ]
    assert runs[0].losses == runs[1].losses


def test_the_default_place_is_the_adapters_folder_of_the_cache(
    tiny: LocalModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTSDK_CACHE", str(tmp_path / "cache"))
    dataset = write_dataset(tmp_path / "data", [CHAT_ROW])
    summary = train_adapter(dataset, tiny, name="hello", epochs=1, progress=False)
    assert summary.adapter == tmp_path / "cache" / "adapters" / "hello"
    assert summary.base == tiny.name
    with pytest.raises(ConfigurationError, match="exists"):  # refused before training
        train_adapter(dataset, tiny, name="hello", progress=False)
    again = train_adapter(dataset, tiny, name="hello", epochs=1, progress=False, overwrite=True)
    assert again.adapter == summary.adapter
    with pytest.raises(ConfigurationError, match="adapter name"):
        train_adapter(dataset, tiny, name="../up", progress=False)


def test_a_tqdm_bar_is_the_default_progress(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_dataset(tmp_path / "data", [CHAT_ROW])
    train_adapter(dataset, tiny_checkpoint, tmp_path / "a", epochs=2)
    assert "training" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"device": "tpu"}, "device must be"),
        ({"tool_prompt": "some"}, "tool_prompt"),
        ({"target_modules": ["nowhere"]}, "cannot add LoRA"),
    ],
)
def test_settings_that_cannot_work_are_refused(
    tiny_checkpoint: Path, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    dataset = write_dataset(tmp_path / "data", [CHAT_ROW])
    with pytest.raises(ConfigurationError, match=message):
        train_adapter(dataset, tiny_checkpoint, tmp_path / "a", progress=False, **options)
    assert not (tmp_path / "a").exists()


def test_cuda_is_refused_without_a_gpu(tiny_checkpoint: Path, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    dataset = write_dataset(tmp_path / "data", [CHAT_ROW])
    with pytest.raises(ConfigurationError, match="no GPU"):
        train_adapter(dataset, tiny_checkpoint, tmp_path / "a", device="cuda", progress=False)


def test_auto_trains_where_torch_sees_a_gpu_else_on_the_cpu() -> None:
    import torch

    from agentsdk.learn.train import _device

    assert _device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert _device("cpu") == "cpu"


def test_nothing_to_train_on_is_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    long = {"messages": [{"role": "user", "content": "word " * 200}, CHAT_ROW["messages"][1]]}
    dataset = write_dataset(tmp_path / "data", [long])
    with pytest.raises(ConfigurationError, match="max_length=32"):
        train_adapter(dataset, tiny_checkpoint, tmp_path / "a", max_length=32, progress=False)
    with pytest.raises(ModelNotFoundError):
        train_adapter(dataset, tmp_path / "nowhere", tmp_path / "a", progress=False)


def test_a_model_with_an_adapter_merged_is_not_a_base(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    dataset = write_dataset(tmp_path / "data", [CHAT_ROW])
    summary = train_adapter(dataset, tiny_checkpoint, tmp_path / "a", epochs=1, progress=False)
    adapted = LocalModel.from_pretrained(tiny_checkpoint, adapter=summary.adapter)
    with pytest.raises(ConfigurationError, match="adapter merged"):
        train_adapter(dataset, adapted, tmp_path / "b", progress=False)


# -- the stock model ------------------------------------------------------------------


@pytest.mark.stock
def test_stock_llm_trains_for_a_few_steps_and_loads_its_adapter(tmp_path: Path) -> None:
    """SmolLM2-135M on 16 rows (4 steps, about half a minute on two cores): the loss
    falls, and the stock kit loads the adapter and still calls tools validly."""
    import time

    from agentsdk import Kit

    cities = ["Paris", "Berlin", "Tokyo", "Lima", "Oslo", "Cairo", "Rome", "Delhi"]
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    rows = []
    for i in range(16):
        city = cities[i % len(cities)]
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": f"What's the weather like in {city}?"},
                    {"role": "assistant", "tool_calls": [call("get_weather", {"city": city})]},
                ],
                "tools": [weather, ADD],
            }
        )
    dataset = write_dataset(tmp_path / "data", rows)
    started = time.perf_counter()
    summary = train_adapter(dataset, "stock", tmp_path / "weather", epochs=2, batch_size=8)
    assert summary.examples == 16 and summary.steps == 4
    assert summary.epoch_losses[1] < summary.epoch_losses[0]
    kit = Kit.stock(adapter=summary.adapter)
    llm = kit.llm
    assert isinstance(llm, LocalModel) and llm.load_info is not None
    assert llm.load_info.adapter == summary.adapter and llm.name == "smollm2-135m+weather"
    reply = llm.generate([Message.user("What's the weather like in Madrid?")], tools=[weather, ADD])
    assert [c.name for c in reply.tool_calls] == ["get_weather"]
    assert set(reply.tool_calls[0].arguments) == {"city"}
    assert time.perf_counter() - started < 120
