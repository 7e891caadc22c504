"""Plans for simulated machines: 0 to 8 GPUs of several sizes, Llama-3 8B and 70B with CLIP
ViT-L/14 and Whisper large (all built on the meta device from their real configs)."""

from __future__ import annotations

import random

import pytest

from agentsdk.errors import ConfigurationError
from agentsdk.placement import (
    Device,
    DoesNotFitError,
    ModelSpec,
    Plan,
    model_spec,
    plan_placement,
    simulate_devices,
    stock_models,
)
from agentsdk.placement.sizing import kv_per_layer, need, weight_bytes, whole

GIB = 2**30
MACHINES = [
    "0",
    "1x16GiB@7.0",
    "1x24GiB",
    "1x80GiB",
    "2x24GiB",
    "2x80GiB",
    "4x16GiB@7.0",
    "4x24GiB",
    "8x16GiB",
    "8x80GiB",
    "1x80GiB,2x16GiB@7.0",
]


def kit(llm: str) -> list[ModelSpec]:
    return [model_spec(llm), model_spec("clip-vit-l-14"), model_spec("whisper-large-v3")]


def gpu_budgets(plan: Plan) -> list[int]:
    return [plan.budget(d.name) for d in plan.devices if d.kind == "cuda"]


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("llm", ["llama-3-8b", "llama-3-70b"])
def test_plans_keep_every_rule(machine: str, llm: str) -> None:
    devices = simulate_devices(machine)
    plan = plan_placement(kit(llm), devices)
    by_name = {d.name: d for d in devices}
    # Nothing over budget, disk included.
    for device in devices:
        assert plan.used(device.name) <= plan.budget(device.name), device.name
    # Encoders are whole, on a GPU or the CPU, in that device's dtype.
    for role in ("vision", "speech"):
        encoder = plan[role]
        assert not encoder.split and encoder.device != "disk"
        assert encoder.dtype == by_name[encoder.device].dtype
    # The LLM is split only when no GPU holds it, and offloaded only when all GPUs can't.
    placement = plan["llm"]
    gpus = [d for d in devices if d.kind == "cuda"]
    largest = max(gpus, key=lambda d: (plan.budget(d.name), -(d.index or 0)), default=None)
    whole_need = need(whole(model_spec(llm), largest, plan.options)) if largest else None
    if placement.split:
        assert whole_need is None or whole_need > plan.budget(largest.name)  # type: ignore[union-attr]
        assert sum(size for _, size in placement.weights) == pytest.approx(
            weight_bytes(model_spec(llm), placement.dtype), rel=1e-6
        )
    elif gpus:
        assert placement.device.startswith("cuda")
    if gpus and {"cpu", "disk"} & set(placement.devices):
        assert sum(gpu_budgets(plan)) < whole_need  # type: ignore[operator]
        assert all(name.startswith("cuda") for name in placement.devices[: len(gpus)])
    if not gpus:
        assert placement.devices[0] == "cpu" and placement.dtype == "float32"
    # GPU dtypes: bf16 on Ampere and later, fp16 before.
    if placement.device.startswith("cuda"):
        used = [by_name[name] for name in placement.devices if name.startswith("cuda")]
        expected = "bfloat16" if all(d.supports_bf16 for d in used) else "float16"
        assert placement.dtype == expected


@pytest.mark.parametrize("machine", ["0", "2x24GiB", "8x80GiB", "1x80GiB,2x16GiB@7.0"])
def test_the_same_inputs_give_the_same_plan(machine: str) -> None:
    devices = list(simulate_devices(machine))
    first = plan_placement(kit("llama-3-70b"), devices)
    random.Random(7).shuffle(devices)
    again = plan_placement(list(reversed(kit("llama-3-70b"))), devices)
    assert again.to_json() == first.to_json()
    assert again == first


def test_llama_8b_fits_one_24gib_gpu_whole() -> None:
    plan = plan_placement(kit("llama-3-8b"), simulate_devices("2x24GiB"))
    llm = plan["llm"]
    assert llm.devices == ("cuda:0",) and llm.dtype == "bfloat16"
    assert 0 <= llm.weight_bytes - 8_030_261_248 * 2 < 2**20  # plus the rotary buffer
    # The encoders go to the emptier GPU.
    assert plan["vision"].device == plan["speech"].device == "cuda:1"


def test_kv_cache_headroom_follows_the_config() -> None:
    spec = model_spec("llama-3-8b")
    plan = plan_placement([spec], simulate_devices("1x80GiB"), context=4096)
    # 2 (K and V) x 32 layers x 8 kv heads x 128 head dim x 4096 tokens x 2 bytes
    assert kv_per_layer(spec, "bfloat16", plan.options) * 32 == 512 * 2**20
    longer = plan_placement([spec], simulate_devices("1x80GiB"), context=32768, batch=2)
    grown = longer["llm"].headroom_bytes - plan["llm"].headroom_bytes
    assert grown >= 15 * 512 * 2**20  # 16x the tokens: at least 15 more KV caches


def test_llama_70b_splits_over_the_fewest_gpus() -> None:
    for machine in ("2x80GiB", "4x80GiB", "8x80GiB"):
        plan = plan_placement(kit("llama-3-70b"), simulate_devices(machine))
        llm = plan["llm"]
        assert llm.devices == ("cuda:0", "cuda:1"), machine
        assert {device for _, device in llm.device_map} == {"cuda:0", "cuda:1"}
        assert any(module.startswith("model.layers") for module, _ in llm.device_map)
    plan = plan_placement(kit("llama-3-70b"), simulate_devices("8x24GiB"))
    assert len(plan["llm"].devices) == 7  # 141 GB of bf16 weights over 22.8 GiB budgets
    assert "cpu" not in plan["llm"].devices


def test_offload_to_cpu_and_disk_is_the_last_resort() -> None:
    plan = plan_placement(kit("llama-3-70b"), simulate_devices("2x24GiB"))
    llm = plan["llm"]
    assert llm.devices == ("cuda:0", "cuda:1", "cpu", "disk")
    assert llm.device == "cuda:0"
    with pytest.raises(DoesNotFitError, match="offload is off") as refused:
        plan_placement(kit("llama-3-70b"), simulate_devices("2x24GiB"), offload=False)
    assert refused.value.available == 2 * (24 * GIB - int(24 * GIB * 0.05))  # the GPUs
    assert any("allow offload" in s for s in refused.value.suggestions)
    roomy = plan_placement(kit("llama-3-70b"), simulate_devices("2x24GiB,cpu=512GiB"))
    assert roomy["llm"].devices == ("cuda:0", "cuda:1", "cpu")


def test_a_cpu_only_machine_gets_a_cpu_plan() -> None:
    plan = plan_placement(stock_models(), simulate_devices("0"))
    assert {p.device for p in plan.placements} == {"cpu"}
    assert plan["llm"].dtype == "float32" and plan["speech"].dtype == "int8"
    assert plan["llm"].loader_options() == {"device": "cpu", "dtype": "float32"}
    assert plan["speech"].loader_options() == {"device": "cpu", "compute_type": "int8"}
    big = plan_placement(kit("llama-3-70b"), simulate_devices("cpu=64GiB"))
    assert big["llm"].devices == ("cpu", "disk")  # fp32 70B is 263 GiB


def test_runtimes_are_honest_about_gpus() -> None:
    plan = plan_placement(stock_models(), simulate_devices("1x24GiB"))
    assert plan["ocr"].device == "cpu"  # the stock onnxruntime has no CUDA provider
    assert plan["embeddings"].device == "cpu"  # the tool ranker loads it on the CPU
    assert plan["speech"].loader_options() == {
        "device": "cuda",
        "device_index": 0,
        "compute_type": "int8_bfloat16",
    }
    assert plan["speech"].weight_bytes == 75_537_502  # the CTranslate2 file, int8
    with_gpu = plan_placement(stock_models(), simulate_devices("1x24GiB"), onnx_gpu=True)
    assert with_gpu["ocr"].device == "cuda:0"
    older = plan_placement(stock_models(), simulate_devices("1x16GiB@7.0"))
    assert older["speech"].dtype == "int8_float16" and older["llm"].dtype == "float16"


def test_pins_excludes_and_caps() -> None:
    devices = simulate_devices("4x24GiB")
    pinned = plan_placement(kit("llama-3-8b"), devices, pins={"llm": "cuda:2", "vision": "cpu"})
    assert pinned["llm"].devices == ("cuda:2",)
    assert pinned["vision"].device == "cpu" and pinned["vision"].dtype == "float32"
    excluded = plan_placement(kit("llama-3-70b"), devices, exclude=["cuda:0"])
    assert all("cuda:0" not in p.devices for p in excluded.placements)
    assert excluded.used("cuda:0") == 0
    capped = plan_placement(kit("llama-3-8b"), devices, max_memory={"cuda:0": 20 * GIB})
    assert capped.budget("cuda:0") == 20 * GIB
    assert capped.used("cuda:0") <= 20 * GIB
    tight = {f"cuda:{i}": 10 * GIB for i in range(4)}
    split = plan_placement(kit("llama-3-8b"), devices, max_memory=tight)
    assert split["llm"].split and "cpu" not in split["llm"].devices
    assert all(split.used(f"cuda:{i}") <= 10 * GIB for i in range(4))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pins": {"llm": "cuda:9"}}, "not a device here"),
        ({"pins": {"tts": "cuda:0"}}, "not a model or role"),
        ({"exclude": ["tpu:0"]}, "not a device here"),
        ({"max_memory": {"cuda:5": GIB}}, "not a device here"),
        ({"pins": {"llm": "disk"}}, "cannot pin"),
        ({"pins": {"llm": "cuda:0"}, "max_memory": {"cuda:0": GIB}}, "is pinned to cuda:0"),
        ({"context": 0}, "at least 1"),
        ({"reserve": 1.5}, "reserve"),
    ],
)
def test_options_that_cannot_work_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        plan_placement(kit("llama-3-8b"), simulate_devices("2x24GiB"), **options)  # type: ignore[arg-type]


def test_one_llm_and_distinct_names() -> None:
    with pytest.raises(ConfigurationError, match="one LLM"):
        plan_placement(
            [model_spec("llama-3-8b"), model_spec("qwen2.5-7b")], simulate_devices("1x80GiB")
        )
    with pytest.raises(ConfigurationError, match="distinct"):
        plan_placement([model_spec("whisper-tiny")] * 2, simulate_devices("1x80GiB"))


# The machine of the issue: no GPU, 23.5 GiB of RAM (21.5 free), 68.8 GiB free on the disk
# that holds the offload folder.
CPU_ONLY = (
    Device("cpu", int(23.5 * GIB), int(21.5 * GIB), None, "RAM"),
    Device("disk", 252 * GIB, int(68.8 * GIB), None, "offload folder"),
)


def test_a_model_too_big_for_ram_and_disk_is_refused_with_what_would_fit() -> None:
    assert plan_placement(stock_models(), CPU_ONLY)["llm"].devices == ("cpu",)
    with pytest.raises(DoesNotFitError) as refused:
        plan_placement([model_spec("llama-3-70b"), *stock_models()[1:]], CPU_ONLY)
    error = refused.value
    assert isinstance(error, ConfigurationError)  # callers that catch that keep working
    assert error.model == "llama-3-70b"
    assert error.needed > 260 * GIB  # fp32 weights on the CPU
    assert error.available <= int(68.8 * GIB) + int(21.5 * GIB)
    assert error.shortfall == error.needed - error.available
    [quantised, smaller, more] = error.suggestions
    assert quantised.startswith("int8 weights")
    assert smaller.startswith("a smaller model such as llama-3-8b")
    assert more.startswith("about ") and more.endswith(" more RAM or offload disk")
    message = str(error)
    assert "\n" not in message
    assert message.startswith("llama-3-70b does not fit even offloaded to CPU RAM and disk")
    assert "disk 68.8 GiB" in message and "what would fit: int8 weights" in message


def test_disk_is_a_budget_like_any_other() -> None:
    machine = "2x24GiB,cpu=64GiB,disk={}"
    roomy = plan_placement(kit("llama-3-70b"), simulate_devices(machine.format("100GiB")))
    assert 0 < roomy.used("disk") <= roomy.budget("disk") == 100 * GIB
    with pytest.raises(DoesNotFitError, match="GPU memory, RAM or offload disk"):
        plan_placement(kit("llama-3-70b"), simulate_devices(machine.format("20GiB")))
    without = plan_placement(
        kit("llama-3-70b"), simulate_devices("2x24GiB,cpu=512GiB"), exclude=["disk"]
    )
    assert "disk" not in without["llm"].devices
    with pytest.raises(DoesNotFitError):
        plan_placement(kit("llama-3-70b"), simulate_devices("2x24GiB"), exclude=["disk"])


def test_an_encoder_that_fits_nowhere_says_by_how_much() -> None:
    with pytest.raises(DoesNotFitError, match="fits on no device") as refused:
        plan_placement([model_spec("whisper-large-v3")], simulate_devices("cpu=2GiB"))
    error = refused.value
    assert error.model == "whisper-large-v3" and error.needed > error.available
    [more] = error.suggestions
    assert more.endswith("more free on cpu")


def test_a_pin_that_does_not_fit_is_a_does_not_fit_error() -> None:
    with pytest.raises(DoesNotFitError, match="is pinned to cuda:0"):
        plan_placement(
            kit("llama-3-8b"),
            simulate_devices("2x24GiB"),
            pins={"llm": "cuda:0"},
            max_memory={"cuda:0": GIB},
        )


def test_no_plan_leaves_the_planner_past_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentsdk.placement import planner

    def careless(spec: ModelSpec, devices: object, left: object, options: object) -> object:
        return whole(spec, simulate_devices("0")[0], planner.PlanOptions())

    monkeypatch.setattr(planner, "_place_encoder", careless)  # a rule that forgets budgets
    with pytest.raises(DoesNotFitError, match="over its budget"):
        plan_placement([model_spec("whisper-large-v3")], simulate_devices("cpu=2GiB"))
