"""Devices a plan can use: GPUs, CPU RAM and disk, discovered or simulated.

`discover_devices()` asks torch.cuda (free memory, compute capability) and psutil (available
RAM) about this machine; `simulate_devices("2x24GiB,1x80GiB@9.0")` builds the same values
for a machine you do not have, so a plan can size hardware before it is bought.
"""

from __future__ import annotations

import importlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from typing import Literal

from agentsdk.codec import Serialisable
from agentsdk.errors import ConfigurationError

__all__ = [
    "DEFAULT_CAPABILITY",
    "SIMULATED_DISK",
    "SIMULATED_RAM",
    "Device",
    "discover_devices",
    "format_bytes",
    "parse_bytes",
    "simulate_devices",
]

DEFAULT_CAPABILITY = (8, 0)
"""Compute capability a simulated GPU has unless the spec says otherwise (Ampere: bf16)."""
SIMULATED_RAM = 64 * 2**30
"""CPU RAM of a simulated machine unless the spec has `cpu=...`."""
SIMULATED_DISK = 1024 * 2**30
"""Free disk of a simulated machine unless the spec has `disk=...`."""

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_GPUS = re.compile(
    r"^\s*(?:(\d+)\s*[xX*]\s*)?([\d.]+\s*[a-zA-Z]+)\s*(?:@\s*(\d+)(?:\.(\d+))?)?\s*$"
)


@dataclass(frozen=True, slots=True)
class Device(Serialisable):
    """One place a model's weights can live."""

    name: str
    """"cuda:0", "cuda:1", ..., "cpu" or "disk"."""
    total: int
    """Bytes the device has."""
    free: int
    """Bytes free when the plan was made (for a simulated device: all of it)."""
    capability: tuple[int, int] | None = None
    """CUDA compute capability (GPUs only); 8.0 and later compute in bf16."""
    label: str = ""
    """What it is, e.g. "NVIDIA A100-SXM4-80GB" or "simulated"."""

    @property
    def kind(self) -> Literal["cuda", "cpu", "disk"]:
        kind = self.name.split(":", 1)[0]
        if kind not in ("cuda", "cpu", "disk"):  # pragma: no cover - checked in __post_init__
            raise ConfigurationError(f"unknown device kind {kind!r}")
        return kind  # type: ignore[return-value]

    @property
    def index(self) -> int | None:
        """The GPU's index (None for cpu and disk)."""
        return int(self.name.split(":", 1)[1]) if self.kind == "cuda" else None

    @property
    def supports_bf16(self) -> bool:
        """Whether the device computes in bfloat16 (Ampere and later GPUs; CPU: see dtype)."""
        return self.kind == "cuda" and (self.capability or (0, 0)) >= (8, 0)

    @property
    def dtype(self) -> str:
        """The dtype a model computes in here: bf16 where supported, fp16 on older GPUs,
        fp32 on CPU."""
        if self.kind == "cuda":
            return "bfloat16" if self.supports_bf16 else "float16"
        return "float32"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"cuda:\d+|cpu|disk", self.name):
            raise ConfigurationError(f"device name {self.name!r} is not 'cuda:N', 'cpu' or 'disk'")
        if self.total < 0 or self.free < 0 or self.free > self.total:
            raise ConfigurationError(
                f"device {self.name}: free ({self.free}) must be between 0 and total ({self.total})"
            )


def device_order(device: Device) -> tuple[int, int]:
    """GPUs by index, then cpu, then disk."""
    rank = {"cuda": 0, "cpu": 1, "disk": 2}[device.kind]
    return rank, device.index or 0


def parse_bytes(text: str) -> int:
    """'24GiB' -> 25769803776. Units: B, KB/MB/GB/TB (powers of 10), KiB/MiB/GiB/TiB."""
    match = _SIZE.match(text)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS:
        raise ConfigurationError(
            f"cannot read {text!r} as a size: write a number and a unit, e.g. 24GiB, 80GB, 512MiB"
        )
    return int(float(match.group(1)) * _UNITS[unit])


def format_bytes(size: int) -> str:
    """Bytes in binary units with one decimal: 1.5 GiB, 640.0 MiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def simulate_devices(spec: str) -> tuple[Device, ...]:
    """Devices of a machine described as text, e.g. "2x24GiB", "1x80GiB,2x16GiB@7.0,cpu=256GiB".

    Comma-separated items: `NxSIZE` (N GPUs of SIZE; N defaults to 1) with an optional
    `@MAJOR.MINOR` compute capability (default 8.0: bf16; e.g. 7.0 for V100-style fp16-only
    GPUs), `cpu=SIZE` for RAM (default 64 GiB) and `disk=SIZE` (default 1 TiB). "" or "0"
    is a machine without GPUs. GPUs are numbered in the order written.
    """
    gpus: list[Device] = []
    ram, disk = SIMULATED_RAM, SIMULATED_DISK
    for raw in spec.split(","):
        item = raw.strip()
        if item in ("", "0", "0x0", "none"):
            continue
        if "=" in item:
            key, _, value = item.partition("=")
            key = key.strip().lower()
            if key not in ("cpu", "disk"):
                raise ConfigurationError(
                    f"unknown item {item!r} in the machine spec {spec!r}: use cpu=SIZE or disk=SIZE"
                )
            size = parse_bytes(value)
            ram, disk = (size, disk) if key == "cpu" else (ram, size)
            continue
        match = _GPUS.match(item)
        if match is None:
            raise ConfigurationError(
                f"cannot read {item!r} in the machine spec {spec!r}: write GPUs as COUNTxSIZE "
                "with an optional @CAPABILITY, e.g. 2x24GiB, 1x80GiB@9.0, 4x16GiB@7.0"
            )
        count = int(match.group(1) or 1)
        size = parse_bytes(match.group(2))
        if size <= 0:
            raise ConfigurationError(f"a GPU in {spec!r} has no memory: {item!r}")
        capability = (
            (int(match.group(3)), int(match.group(4) or 0))
            if match.group(3)
            else DEFAULT_CAPABILITY
        )
        for _ in range(count):
            name = f"cuda:{len(gpus)}"
            gpus.append(Device(name, size, size, capability, "simulated"))
    if len(gpus) > 64:
        raise ConfigurationError(f"{len(gpus)} GPUs in {spec!r}: at most 64 can be simulated")
    return (
        *gpus,
        Device("cpu", ram, ram, None, "simulated"),
        Device("disk", disk, disk, None, "simulated"),
    )


def _ram() -> tuple[int, int]:
    try:
        psutil = importlib.import_module("psutil")  # accelerate's dependency; no stubs
        memory = psutil.virtual_memory()
        return int(memory.total), int(memory.available)
    except ImportError:  # pragma: no cover - accelerate depends on psutil
        fields: dict[str, int] = {}
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                key, _, value = line.partition(":")
                fields[key] = int(value.split()[0]) * 1024
        return fields["MemTotal"], fields.get("MemAvailable", fields["MemFree"])


def discover_devices(offload_folder: str | None = None) -> tuple[Device, ...]:
    """The GPUs (free memory now, compute capability), RAM and disk of this machine."""
    import torch

    devices: list[Device] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(index)
            capability = torch.cuda.get_device_capability(index)
            label = torch.cuda.get_device_name(index)
            devices.append(Device(f"cuda:{index}", int(total), int(free), capability, label))
    total, available = _ram()
    devices.append(Device("cpu", total, min(available, total), None, "RAM"))
    disk = shutil.disk_usage(offload_folder or tempfile.gettempdir())
    devices.append(Device("disk", int(disk.total), int(disk.free), None, "offload folder"))
    return tuple(devices)
