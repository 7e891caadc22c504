"""Device placement: one plan for the whole kit across GPUs, CPU and disk.

>>> from agentsdk.placement import plan_placement, simulate_devices, model_spec, stock_models
>>> plan = plan_placement(
...     [model_spec("llama-3-70b"), model_spec("clip-vit-l-14"), model_spec("whisper-large-v3")],
...     simulate_devices("2x80GiB"),
... )
>>> print(plan.table())

`devices` discovers or simulates the machine, `models` describes what to place (presets
written in code, local configs, the stock kit), `plan` decides. A plan never goes past a
device's budget: a kit that cannot fit raises `DoesNotFitError` (a ConfigurationError),
which says what would fit instead.
"""

from agentsdk.placement.devices import Device, discover_devices, parse_bytes, simulate_devices
from agentsdk.placement.fit import DoesNotFitError
from agentsdk.placement.models import (
    ENCODER_PRESETS,
    LLM_PRESETS,
    ModelSpec,
    model_spec,
    stock_models,
)
from agentsdk.placement.plan import Placement, Plan, PlanOptions
from agentsdk.placement.planner import plan_placement

__all__ = [
    "ENCODER_PRESETS",
    "LLM_PRESETS",
    "Device",
    "DoesNotFitError",
    "ModelSpec",
    "Placement",
    "Plan",
    "PlanOptions",
    "discover_devices",
    "model_spec",
    "parse_bytes",
    "plan_placement",
    "simulate_devices",
    "stock_models",
]
