"""One device plan for a whole kit: the LLM and every encoder, across GPUs, CPU and disk.

`plan_placement(models, devices)` decides, once and deterministically:

1. Each device's budget: its free bytes, capped by `max_memory`, less `reserve` of its total
   (CUDA context, allocator fragmentation, other processes). Excluded devices get none.
2. The LLM: whole on the GPU with the largest budget when its weights plus headroom (KV
   cache for `context` tokens x `batch`, plus prefill activations) fit there; otherwise
   split over the fewest GPUs that hold it, by accelerate's `infer_auto_device_map` with a
   `max_memory` per GPU and the model's `no_split_module_classes`; only when all GPUs
   together are too small, offloaded to CPU RAM and then disk (`offload=False` forbids it).
   Without GPUs it runs on the CPU in fp32, spilling to disk only if RAM is too small.
3. Each encoder, whole, on the GPU with the most budget left that holds it (bf16 where the
   GPU supports it, fp16 on older ones), else on the CPU (fp32; CTranslate2 keeps its int8
   weights). Runtimes that cannot use a GPU (rapidocr on the stock onnxruntime) stay on CPU.
4. Pins (`pins={"llm": "cuda:1"}`) put a model on one device first; a pin that cannot fit
   is an error, never a silent move.
5. Nothing goes past a budget, disk included. A model that cannot fit raises
   `DoesNotFitError`, which says what it needs, what the budgets hold and what would fit
   (a quantised copy, a smaller preset, or how much more memory or disk).

The same models, devices and options always give the same plan. A `Plan` is a value: it
renders as a table (`Plan.table`), round-trips through JSON, and `Plan.loader_options`
gives each loader the arguments that apply it (see `Kit.stock(placement=...)`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from agentsdk.errors import ConfigurationError
from agentsdk.placement.devices import Device, device_order, discover_devices, format_bytes
from agentsdk.placement.fit import DoesNotFitError, does_not_fit
from agentsdk.placement.models import ModelSpec, meta_model
from agentsdk.placement.plan import ROLE_ORDER, Placement, Plan, PlanOptions, budget
from agentsdk.placement.sizing import (
    DTYPE_BYTES,
    config_of,
    kv_per_layer,
    llm_activations,
    need,
    parameters,
    torch_dtype,
    weight_bytes,
    whole,
)

__all__ = ["plan_placement"]


# -- splitting the LLM with accelerate -----------------------------------------------


@contextlib.contextmanager
def _quiet_accelerate() -> Iterator[None]:
    """accelerate warns that simulated GPUs are absent; the plan knows."""
    logger = logging.getLogger("accelerate.utils.modeling")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _accelerate_key(name: str) -> int | str:
    return int(name.split(":")[1]) if name.startswith("cuda:") else name


def _device_name(value: Any) -> str:
    return f"cuda:{value}" if isinstance(value, int) else str(value)


def _resolve(module: str, device_map: Mapping[str, str]) -> str:
    """The device of `module` (or parameter) in a device map: the longest matching prefix."""
    while True:
        if module in device_map:
            return device_map[module]
        if "." not in module:
            return device_map[""]
        module = module.rsplit(".", 1)[0]


def _split_usage(
    spec: ModelSpec, device_map: Mapping[str, str], dtype: str, main: str, options: PlanOptions
) -> tuple[dict[str, int], dict[str, int]]:
    """Weight bytes and headroom per device of a split model."""
    model = meta_model(spec)
    size = DTYPE_BYTES[dtype]
    weights: dict[str, int] = {}
    for name, tensor in (*model.named_parameters(), *model.named_buffers()):
        device = _resolve(name, device_map)
        element = size if tensor.is_floating_point() else tensor.element_size()
        weights[device] = weights.get(device, 0) + tensor.numel() * element
    no_split = set(model._no_split_modules or ())
    kv = kv_per_layer(spec, dtype, options)
    activations = llm_activations(spec, dtype, options)
    headroom: dict[str, int] = {}
    for name, module in model.named_modules():
        if type(module).__name__ in no_split:
            device = _resolve(name, device_map)
            # An offloaded layer runs on the main device: its KV cache lives there.
            compute = device if device.startswith("cuda") else main
            headroom[compute] = headroom.get(compute, 0) + kv
    for device in {*headroom, main}:
        headroom[device] = headroom.get(device, 0) + activations
    return weights, headroom


def _split(
    spec: ModelSpec, budgets: Mapping[str, int], dtype: str, options: PlanOptions
) -> Placement | None:
    """Split `spec` over the devices in `budgets` (in order) or None if it cannot fit."""
    from accelerate import infer_auto_device_map

    model = meta_model(spec)
    main = next((d for d in budgets if d.startswith("cuda")), "cpu")
    kv = kv_per_layer(spec, dtype, options)
    activations = llm_activations(spec, dtype, options)
    layers = config_of(spec).num_hidden_layers
    layer_bytes = weight_bytes(spec, dtype) // max(layers, 1)
    share = layer_bytes / (layer_bytes + kv)
    caps = {
        d: b if d == "disk" else max(0, int((b - activations) * share)) for d, b in budgets.items()
    }
    for _ in range(12):
        max_memory = {_accelerate_key(d): c for d, c in caps.items() if c > 0}
        try:
            with _quiet_accelerate():
                raw = infer_auto_device_map(
                    model,
                    max_memory=max_memory,
                    no_split_module_classes=list(model._no_split_modules or ()),
                    dtype=torch_dtype(dtype),
                )
        except (IndexError, ValueError):
            return None  # more than these devices hold
        device_map = {k: _device_name(v) for k, v in raw.items()}
        if not set(device_map.values()) <= set(budgets):
            return None  # accelerate spilled to disk, which these budgets do not include
        weights, headroom = _split_usage(spec, device_map, dtype, main, options)
        over = {
            d: weights.get(d, 0) + headroom.get(d, 0) - budgets[d]
            for d in budgets
            if weights.get(d, 0) + headroom.get(d, 0) > budgets[d]
        }
        if "disk" in over:
            return None  # accelerate fills disk past any cap; shrinking the rest adds to it
        if not over:
            used = [d for d in budgets if weights.get(d, 0) or headroom.get(d, 0)]
            return Placement(
                model=spec.name,
                role=spec.role,
                runtime=spec.runtime,
                parameters=parameters(spec),
                dtype=dtype,
                weights=tuple((d, weights.get(d, 0)) for d in used),
                headroom=tuple((d, headroom.get(d, 0)) for d in used),
                device_map=tuple(device_map.items()),
            )
        for device, excess in over.items():
            caps[device] = max(0, caps[device] - excess - 2**20)
    return None


def _place_llm(
    spec: ModelSpec,
    devices: Sequence[Device],
    left: dict[str, int],
    options: PlanOptions,
    cpu_kept: int,
) -> Placement:
    by_name = {d.name: d for d in devices}
    gpus = sorted(
        (d for d in devices if d.kind == "cuda" and left[d.name] > 0),
        key=lambda d: (-left[d.name], d.index or 0),
    )
    # 1. Whole, on the GPU with the largest budget (or on the CPU when there is none).
    if gpus:
        single = whole(spec, gpus[0], options)
        if need(single) <= left[gpus[0].name]:
            return single
    # 2. Split over the fewest GPUs whose budgets hold it.
    if len(gpus) > 1:
        dtype = "bfloat16" if all(g.supports_bf16 for g in gpus) else "float16"
        required = need(whole(spec, gpus[0], options))
        for count in range(2, len(gpus) + 1):
            chosen = sorted(gpus[:count], key=lambda d: d.index or 0)
            if sum(left[g.name] for g in chosen) < required * 0.9:
                continue
            split = _split(spec, {g.name: left[g.name] for g in chosen}, dtype, options)
            if split is not None:
                return split
    cpu = by_name.get("cpu")
    if not gpus and cpu is not None and left["cpu"] > 0:
        single = whole(spec, cpu, options)
        if need(single) <= left["cpu"]:
            return single
    # 3. Last resort: offload to CPU RAM, then disk.
    # It computes in the GPUs' dtype (fp16 if one lacks bf16), or in fp32 on the CPU.
    sizing = min(gpus, key=lambda g: g.supports_bf16) if gpus else by_name["cpu"]
    if not options.offload:
        held = {g.name: left[g.name] for g in gpus} if gpus else {"cpu": left["cpu"]}
        raise does_not_fit(
            spec,
            whole(spec, sizing, options),
            dict(sorted(held.items())),
            options,
            sizing,
            where=f"{'on the GPUs' if gpus else 'in CPU RAM'} and offload is off",
            more="memory (or allow offload to CPU RAM and disk)",
        )
    budgets = _offload_budgets(gpus, left, cpu_kept)
    split = _split(spec, budgets, sizing.dtype, options)
    if split is None:
        raise does_not_fit(
            spec,
            whole(spec, sizing, options),
            budgets,
            options,
            sizing,
            where="even offloaded to CPU RAM and disk",
            more="RAM or offload disk" if not gpus else "GPU memory, RAM or offload disk",
        )
    return split


def _offload_budgets(
    gpus: Sequence[Device], left: Mapping[str, int], cpu_kept: int
) -> dict[str, int]:
    """What an offloaded LLM may use: the GPUs, then CPU RAM less what the encoders that
    run there keep, then disk."""
    budgets = {g.name: left[g.name] for g in sorted(gpus, key=lambda d: d.index or 0)}
    for name in ("cpu", "disk"):
        room = left.get(name, 0) - (cpu_kept if name == "cpu" else 0)
        if room > 0:
            budgets[name] = room
    return budgets


def _sizes(devices: Sequence[Device], left: Mapping[str, int]) -> str:
    return ", ".join(f"{d.name} {format_bytes(left.get(d.name, 0))}" for d in devices)


def _gpu_capable(spec: ModelSpec, options: PlanOptions) -> bool:
    return spec.gpu and (spec.runtime != "onnxruntime" or options.onnx_gpu)


def _place_encoder(
    spec: ModelSpec, devices: Sequence[Device], left: dict[str, int], options: PlanOptions
) -> Placement:
    gpus = sorted(
        (d for d in devices if d.kind == "cuda" and left[d.name] > 0),
        key=lambda d: (-left[d.name], d.index or 0),
    )
    candidates = [*gpus] if _gpu_capable(spec, options) else []
    candidates += [d for d in devices if d.kind == "cpu"]
    for device in candidates:
        placement = whole(spec, device, options)
        if need(placement) <= left[device.name]:
            return placement
    # The device it misses by the least: what it needs there, and how much more would do.
    short, needed, closest = min(
        (need(whole(spec, d, options)) - left[d.name], need(whole(spec, d, options)), d.name)
        for d in candidates
    )
    more = f"about {format_bytes(short)} more free on {closest}"
    raise DoesNotFitError(
        f"the {spec.role} model {spec.name} fits on no device ({_sizes(devices, left)}); "
        f"encoders are never split: it needs {format_bytes(needed)} on {closest}; "
        f"what would fit: {more}",
        model=spec.name,
        needed=needed,
        available=left[closest],
        suggestions=(more,),
    )


def _pinned(
    spec: ModelSpec, device: Device, left: Mapping[str, int], options: PlanOptions
) -> Placement:
    if device.kind == "disk":
        raise ConfigurationError(f"cannot pin {spec.name} to disk: models run on a GPU or the CPU")
    if device.kind == "cuda" and not _gpu_capable(spec, options):
        raise ConfigurationError(
            f"cannot pin {spec.name} to {device.name}: its loader cannot use a GPU "
            "(onnxruntime models need onnxruntime-gpu and onnx_gpu=True)"
        )
    placement = whole(spec, device, options)
    if need(placement) > left[device.name]:
        raise DoesNotFitError(
            f"{spec.name} is pinned to {device.name} but needs {format_bytes(need(placement))} "
            f"(weights and headroom) and the plan has {format_bytes(left[device.name])} there; "
            "pin it elsewhere, or leave it to the plan",
            model=spec.name,
            needed=need(placement),
            available=left[device.name],
            suggestions=("pin it elsewhere, or leave it to the plan",),
        )
    return placement


def plan_placement(
    models: Sequence[ModelSpec],
    devices: Sequence[Device] | None = None,
    *,
    context: int = 4096,
    batch: int = 1,
    pins: Mapping[str, str] | None = None,
    exclude: Sequence[str] = (),
    max_memory: Mapping[str, int] | None = None,
    reserve: float = 0.05,
    offload: bool = True,
    onnx_gpu: bool = False,
    simulated: bool | None = None,
) -> Plan:
    """Place every model of a kit on the devices (default: this machine's). See the module
    docstring for the rules; `PlanOptions` for the options. Never plans past a device's
    budget: raises `DoesNotFitError` (a ConfigurationError) when a model cannot fit, saying
    what would, and ConfigurationError when an option names an unknown device or model."""
    options = PlanOptions(
        context=context,
        batch=batch,
        pins=dict(pins or {}),
        exclude=tuple(sorted(set(exclude))),
        max_memory=dict(max_memory or {}),
        reserve=reserve,
        offload=offload,
        onnx_gpu=onnx_gpu,
    )
    if devices is None:
        devices = discover_devices()
        simulated = False if simulated is None else simulated
    devices = tuple(sorted(devices, key=device_order))
    _check(models, devices, options)
    left = {d.name: budget(d, options) for d in devices}
    placed: dict[str, Placement] = {}
    by_name = {d.name: d for d in devices}

    def pin_of(spec: ModelSpec) -> str | None:
        return options.pins.get(spec.name) or options.pins.get(spec.role)

    def take(placement: Placement) -> None:
        placed[placement.model] = placement
        for name, size in (*placement.weights, *placement.headroom):
            left[name] -= size

    for spec in sorted(models, key=lambda s: (ROLE_ORDER.get(s.role, 9), s.name)):
        pin = pin_of(spec)
        if pin is not None:
            take(_pinned(spec, by_name[pin], left, options))
    encoders = [s for s in models if s.role != "llm" and s.name not in placed]
    cpu = by_name.get("cpu")
    cpu_kept = sum(need(whole(s, cpu, options)) for s in encoders) if cpu else 0
    for spec in models:
        if spec.role == "llm" and spec.name not in placed:
            take(_place_llm(spec, devices, left, options, cpu_kept))
    gpu = next((d for d in devices if d.kind == "cuda"), cpu)
    largest_first = sorted(
        encoders, key=lambda s: (-need(whole(s, gpu, options)) if gpu else 0, s.name)
    )
    for spec in largest_first:
        take(_place_encoder(spec, devices, left, options))
    ordered = sorted(placed.values(), key=lambda p: (ROLE_ORDER.get(p.role, 9), p.model))
    is_simulated = all(d.label == "simulated" for d in devices) if simulated is None else simulated
    return _within_budgets(Plan(devices, tuple(ordered), options, is_simulated))


def _within_budgets(plan: Plan) -> Plan:
    """`plan` itself, or an error if it uses more of a device than its budget: the
    rules above should never allow it, and a plan past a budget must not reach a loader."""
    for device in plan.devices:
        used, room = plan.used(device.name), plan.budget(device.name)
        if used > room:
            model = next(p.model for p in plan.placements if device.name in p.devices)
            raise DoesNotFitError(
                f"the plan puts {format_bytes(used)} on {device.name}, over its budget of "
                f"{format_bytes(room)}",
                model=model,
                needed=used,
                available=room,
            )
    return plan


def _check(models: Sequence[ModelSpec], devices: Sequence[Device], options: PlanOptions) -> None:
    names = [d.name for d in devices]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"devices must have distinct names: {names}")
    known = ", ".join(names)
    for option, values in (
        ("exclude", options.exclude),
        ("max_memory", list(options.max_memory)),
        ("pins", list(options.pins.values())),
    ):
        for value in values:
            if value not in names:
                raise ConfigurationError(f"{option} names {value!r}, not a device here ({known})")
    model_keys = {s.name for s in models} | {s.role for s in models}
    for key in options.pins:
        if key not in model_keys:
            raise ConfigurationError(
                f"pins names {key!r}, not a model or role of the kit "
                f"({', '.join(sorted(model_keys))})"
            )
    if len({s.name for s in models}) != len(models):
        raise ConfigurationError("models must have distinct names")
    if sum(1 for s in models if s.role == "llm") > 1:
        raise ConfigurationError("a plan places one LLM at most")
    if options.context < 1 or options.batch < 1:
        raise ConfigurationError("context and batch must be at least 1")
    if not 0 <= options.reserve < 1:
        raise ConfigurationError("reserve is a fraction of each device: 0 <= reserve < 1")
    if "cpu" not in names:
        raise ConfigurationError("the devices must include the CPU ('cpu')")
    if any(math.isnan(float(v)) or v < 0 for v in options.max_memory.values()):
        raise ConfigurationError("max_memory values must be non-negative byte counts")
