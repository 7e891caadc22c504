"""A plan as a value (table, JSON), and a plan applied: loaders follow it, a model split
across devices generates what the whole model does, text passes between models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentsdk import Agent, GenerationSettings, Image, Kit, LocalModel, Message
from agentsdk.encoders.facts import ImageFactsEncoder
from agentsdk.errors import ConfigurationError
from agentsdk.models.testing import FunctionModel, ModelCall
from agentsdk.placement import Device, Plan, model_spec, plan_placement, simulate_devices
from agentsdk.placement.sizing import need, whole
from agentsdk.router import Router


def test_a_plan_round_trips_through_json() -> None:
    plan = plan_placement(
        [model_spec("llama-3-70b"), model_spec("whisper-large-v3")],
        simulate_devices("2x24GiB"),
        pins={"speech": "cpu"},
        max_memory={"cuda:1": 20 * 2**30},
    )
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.to_json() == plan.to_json()
    with pytest.raises(ConfigurationError, match="not a serialised plan"):
        Plan.from_json('{"devices": []}')


def test_the_table_shows_models_and_devices() -> None:
    plan = plan_placement(
        [model_spec("llama-3-70b"), model_spec("clip-vit-l-14")], simulate_devices("2x24GiB")
    )
    table = plan.table()
    header = table.splitlines()[2].split()
    assert header == ["model", "role", "parameters", "bytes", "device(s)", "dtype", "headroom"]
    assert "llama-3-70b" in table and "70.55B" in table
    assert "cuda:0" in table and "disk" in table and "simulated machine" in table
    assert str(plan) == table


def split_plan(folder: Path) -> Plan:
    """A CPU-only plan whose RAM cap leaves room for half the tiny LLM: the rest on disk."""
    spec = model_spec(folder)
    devices = (Device("cpu", 2**30, 2**30), Device("disk", 2**40, 2**40))
    alone = whole(spec, devices[0], plan_placement([spec], devices, context=64).options)
    cap = need(alone) - alone.weight_bytes // 2
    return plan_placement([spec], devices, context=64, reserve=0, max_memory={"cpu": cap})


def test_a_model_split_across_devices_generates_what_the_whole_model_does(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    plan = split_plan(tiny_checkpoint)
    placement = plan["llm"]
    assert placement.devices == ("cpu", "disk")
    options = placement.loader_options()
    assert set(options) == {"device_map", "dtype"}
    split = LocalModel.from_pretrained(tiny_checkpoint, offload_folder=tmp_path, **options)
    assert set(split.model.hf_device_map.values()) == {"cpu", "disk"}
    # The disk part is not in RAM: its weights are read from the safetensors file as needed.
    assert any(p.device.type == "meta" for p in split.model.parameters())
    assert any(p.device.type == "cpu" for p in split.model.parameters())
    whole_model = LocalModel.from_pretrained(tiny_checkpoint)
    messages = [Message.user("What is the capital of France?")]
    settings = GenerationSettings(max_tokens=24)
    expected = whole_model.generate(messages, settings=settings)
    got = split.generate(messages, settings=settings)
    assert got.text == expected.text and got.usage == expected.usage
    assert "".join(split.stream(messages, settings=settings)) == expected.text


def test_observations_reach_a_split_llm_as_text(tiny_checkpoint: Path, tmp_path: Path) -> None:
    options = split_plan(tiny_checkpoint).loader_options("llm")
    split = LocalModel.from_pretrained(tiny_checkpoint, offload_folder=tmp_path, **options)
    seen: list[str] = []

    def reply(messages: list[Message], call: ModelCall) -> str:
        seen.append(messages[-1].content)
        return split.generate(messages, settings=GenerationSettings(max_tokens=8)).text

    agent = Agent(model=FunctionModel(reply), router=Router(image=[ImageFactsEncoder()]))
    picture = Image(np.zeros((40, 60, 3), np.uint8), name="black.png")
    result = agent.run(["Describe this.", picture])
    assert [o.kind for o in result.observations] == ["facts"]
    assert result.observations[0].text in seen[0]
    assert isinstance(result.text, str)


def test_a_kit_passes_each_placement_to_its_loader(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsdk import kit as kit_module
    from agentsdk.placement import stock_models

    plan = plan_placement(stock_models(), simulate_devices("1x24GiB"))
    calls: dict[str, dict[str, Any]] = {}

    def fake_load(spec: Any, *, check: bool = True, options: Any = None) -> Any:
        calls[spec.role] = dict(options or {})
        return LocalModel.from_pretrained(tiny_checkpoint)

    monkeypatch.setattr(kit_module, "load_component", fake_load)
    kit = Kit.stock(placement=plan)
    assert kit.placement is plan
    kit.llm  # noqa: B018 - loads
    assert calls["llm"] == {"device": "cuda:0", "dtype": "bfloat16"}
    calls.clear()
    Kit.stock().llm  # noqa: B018 - without a plan the loaders get no options (CPU)
    assert calls["llm"] == {}
