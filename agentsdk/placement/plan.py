"""A device plan as a value: what goes where, with what dtype and headroom.

`plan_placement` (agentsdk.placement.planner) makes a `Plan`; a plan renders as a table
(`Plan.table`), round-trips through JSON (`to_json`/`from_json`), and gives each model's
loader the arguments that apply it (`Plan.loader_options`, used by
`Kit.stock(placement=...)`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agentsdk.codec import Serialisable, options
from agentsdk.errors import ConfigurationError
from agentsdk.placement.devices import Device, format_bytes

__all__ = ["ROLE_ORDER", "Placement", "Plan", "PlanOptions", "budget"]

ROLE_ORDER = {"llm": 0, "vision": 1, "speech": 2, "ocr": 3, "embeddings": 4}
"""The order placements are listed in."""


@dataclass(frozen=True, slots=True)
class PlanOptions(Serialisable):
    """What a plan is asked for, beside the models and the devices."""

    context: int = 4096
    """Tokens of context the LLM's KV cache must hold (prompt and reply)."""
    batch: int = 1
    """Sequences the LLM generates at once."""
    pins: Mapping[str, str] = field(default_factory=dict, metadata=options(sort=True))
    """Model name or role -> the device it must go on."""
    exclude: tuple[str, ...] = field(default=(), metadata=options(sort=True))
    """Devices the plan must not use, e.g. ("cuda:1",) or ("disk",)."""
    max_memory: Mapping[str, int] = field(default_factory=dict, metadata=options(sort=True))
    """Device -> the most bytes the plan may use there."""
    reserve: float = 0.05
    """Fraction of each GPU's and the CPU's total memory kept free."""
    offload: bool = True
    """Whether an LLM too large for the GPUs may be offloaded to CPU RAM and disk."""
    onnx_gpu: bool = False
    """Whether onnxruntime has a CUDA provider (onnxruntime-gpu); the stock install has not."""


@dataclass(frozen=True, slots=True)
class Placement(Serialisable):
    """Where one model goes: bytes and headroom per device, in device order."""

    model: str
    role: str
    runtime: str
    parameters: int | None
    dtype: str
    """The dtype it computes in; CTranslate2 compute types such as "int8_bfloat16"."""
    weights: tuple[tuple[str, int], ...] = field(metadata=options(pairs=True))
    """(device, weight bytes) for each device it uses."""
    headroom: tuple[tuple[str, int], ...] = field(metadata=options(pairs=True))
    """(device, bytes kept for KV cache and activations) for each device it uses."""
    device_map: tuple[tuple[str, str], ...] = field(default=(), metadata=options(pairs=True))
    """(module, device) when the model is split (accelerate's device map), else empty."""

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.weights)

    @property
    def device(self) -> str:
        """The device it runs on (a split model: where its inputs go)."""
        for name in self.devices:
            if name.startswith("cuda"):
                return name
        return self.devices[0]

    @property
    def split(self) -> bool:
        return len(self.weights) > 1

    @property
    def weight_bytes(self) -> int:
        return sum(size for _, size in self.weights)

    @property
    def headroom_bytes(self) -> int:
        return sum(size for _, size in self.headroom)

    def loader_options(self) -> dict[str, Any]:
        """Keyword arguments that make this model's loader follow the plan."""
        if self.runtime == "ctranslate2":
            if self.device.startswith("cuda"):
                index = int(self.device.split(":")[1])
                return {"device": "cuda", "device_index": index, "compute_type": self.dtype}
            return {"device": "cpu", "compute_type": self.dtype}
        if self.runtime == "onnxruntime":
            return {}  # rapidocr picks onnxruntime's providers itself
        if self.split:
            return {"device_map": dict(self.device_map), "dtype": self.dtype}
        return {"device": self.device, "dtype": self.dtype}


@dataclass(frozen=True, slots=True)
class Plan(Serialisable):
    """Where every model of a kit goes. Make one with `plan_placement`."""

    _codec_order: ClassVar[tuple[str, ...]] = ("simulated", "options", "devices", "placements")
    """The keys of `to_dict`, in the order saved plans have them."""

    devices: tuple[Device, ...]
    placements: tuple[Placement, ...]
    options: PlanOptions = field(default_factory=PlanOptions)
    simulated: bool = False

    def get(self, key: str) -> Placement | None:
        """The placement of the model with this name, or of the first with this role."""
        for placement in self.placements:
            if key in (placement.model, placement.role):
                return placement
        return None

    def __getitem__(self, key: str) -> Placement:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def loader_options(self, key: str) -> dict[str, Any]:
        """The loader arguments for the model with this name or role ({} if not planned)."""
        found = self.get(key)
        return found.loader_options() if found is not None else {}

    def budget(self, device: str) -> int:
        """Bytes the plan may use on `device`."""
        for candidate in self.devices:
            if candidate.name == device:
                return budget(candidate, self.options)
        return 0

    def used(self, device: str) -> int:
        """Weights plus headroom the plan puts on `device`."""
        return sum(
            size
            for placement in self.placements
            for name, size in (*placement.weights, *placement.headroom)
            if name == device
        )

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        try:
            data = json.loads(text)
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(f"not a serialised plan: {exc}") from exc

    def table(self) -> str:
        """The plan as text: one row per model, then one per device."""
        gpus = [d for d in self.devices if d.kind == "cuda"]
        kind = "simulated machine" if self.simulated else "this machine"
        lines = [
            f"Device plan for {kind}: {len(gpus)} GPU{'s' if len(gpus) != 1 else ''}; "
            f"context {self.options.context} tokens x batch {self.options.batch}; "
            f"{self.options.reserve:.0%} of each device kept free",
            "",
        ]
        rows = [("model", "role", "parameters", "bytes", "device(s)", "dtype", "headroom")]
        for p in self.placements:
            where = (
                " + ".join(f"{name} {format_bytes(size)}" for name, size in p.weights)
                if p.split
                else p.devices[0]
            )
            rows.append(
                (
                    p.model,
                    p.role,
                    _count(p.parameters),
                    format_bytes(p.weight_bytes),
                    where,
                    p.dtype,
                    format_bytes(p.headroom_bytes),
                )
            )
        lines += _columns(rows)
        lines.append("")
        rows = [("device", "memory", "budget", "planned", "left", "dtype", "")]
        for device in self.devices:
            budget, used = self.budget(device.name), self.used(device.name)
            cap = f"cc {device.capability[0]}.{device.capability[1]}" if device.capability else ""
            rows.append(
                (
                    device.name,
                    format_bytes(device.total),
                    format_bytes(budget),
                    format_bytes(used),
                    format_bytes(budget - used),
                    device.dtype if device.kind != "disk" else "-",
                    " ".join(x for x in (device.label, cap) if x),
                )
            )
        lines += _columns(rows)
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()


def _count(parameters: int | None) -> str:
    if parameters is None:
        return "-"
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if parameters >= size:
            return (
                f"{parameters / size:.2f}{unit}"
                if unit == "B"
                else f"{parameters / size:.1f}{unit}"
            )
    return str(parameters)


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]


def budget(device: Device, options: PlanOptions) -> int:
    """Bytes a plan may use on `device`: free less the reserve, at most its `max_memory`
    (0 if excluded)."""
    if device.name in options.exclude:
        return 0
    available = device.free
    if device.kind != "disk":
        available -= int(device.total * options.reserve)
    return max(0, min(available, options.max_memory.get(device.name, available)))
