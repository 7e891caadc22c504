"""When a model does not fit: what it needs, what the budgets hold, and what would fit.

`plan_placement` never plans past a device's budget (disk included). When a model cannot
be placed it raises `DoesNotFitError`, a `ConfigurationError` (so code that catches that
keeps working) that carries the numbers and says what would fit instead: a quantised copy
of the weights, a smaller preset, or how much more memory or disk the machine needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agentsdk.errors import ConfigurationError
from agentsdk.placement.devices import Device, format_bytes
from agentsdk.placement.models import LLM_PRESETS, ModelSpec, model_spec
from agentsdk.placement.plan import Placement, PlanOptions
from agentsdk.placement.sizing import DTYPE_BYTES, need, whole

__all__ = ["QUANTISATIONS", "DoesNotFitError", "does_not_fit"]

QUANTISATIONS = (("bfloat16", 2.0), ("int8", 1.0), ("4-bit", 0.5))
"""Smaller weight formats a suggestion may name, with their bytes per parameter."""


class DoesNotFitError(ConfigurationError):
    """A model does not fit the devices' budgets, even split and offloaded.

    `model` names it, `needed` is what it takes (weights and headroom, in bytes),
    `available` what the budgets it may use hold, and `suggestions` what would fit
    instead, one readable phrase each. The message holds all of it on one line.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        needed: int,
        available: int,
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.model = model
        self.needed = needed
        self.available = available
        self.suggestions: tuple[str, ...] = tuple(suggestions)

    @property
    def shortfall(self) -> int:
        """Bytes missing in all (0 when the total would do but no split of it does)."""
        return max(0, self.needed - self.available)


def quantised(sized: Placement, available: int) -> str | None:
    """The largest weight format smaller than `sized`'s in which it would fit `available`.

    Weights scale with the bytes per parameter; the headroom is kept as it is, so the
    estimate errs on the large side."""
    current = DTYPE_BYTES.get(sized.dtype)
    if current is None:
        return None
    for name, size in QUANTISATIONS:
        estimate = int(sized.weight_bytes * size / current) + sized.headroom_bytes
        if size < current and estimate <= available:
            return f"{name} weights (about {format_bytes(estimate)} with headroom)"
    return None


def smaller_preset(
    spec: ModelSpec, device: Device, options: PlanOptions, available: int
) -> str | None:
    """The largest LLM preset that fits `available` in `device`'s dtype (chat models only)."""
    if spec.role != "llm":
        return None
    best: tuple[int, str] | None = None
    for name in LLM_PRESETS:
        if name == spec.name:
            continue
        size = need(whole(model_spec(name), device, options))
        if size <= available and (best is None or size > best[0]):
            best = (size, name)
    if best is None:
        return None
    return f"a smaller model such as {best[1]} (about {format_bytes(best[0])} in {device.dtype})"


def does_not_fit(
    spec: ModelSpec,
    sized: Placement,
    budgets: Mapping[str, int],
    options: PlanOptions,
    device: Device,
    *,
    where: str,
    more: str = "memory or offload disk",
) -> DoesNotFitError:
    """The error for `spec`, sized whole as `sized` on `device`, that fits no split of
    `budgets` (the bytes left on the devices it may use). `where` says what was tried,
    `more` what kind of room would help."""
    needed, available = need(sized), sum(budgets.values())
    suggestions = [
        s
        for s in (
            quantised(sized, available),
            smaller_preset(spec, device, options, available),
        )
        if s is not None
    ]
    short = needed - available
    suggestions.append(
        f"about {format_bytes(short)} more {more}"
        if short > 0
        else f"a little more room on {device.name} (layers are never cut in two, and the "
        "KV cache and activations stay where the model computes)"
    )
    held = ", ".join(f"{name} {format_bytes(size)}" for name, size in budgets.items())
    message = (
        f"{spec.name} does not fit {where}: it needs about {format_bytes(needed)} "
        f"({sized.dtype} weights {format_bytes(sized.weight_bytes)} and headroom "
        f"{format_bytes(sized.headroom_bytes)}) and the budgets hold "
        f"{format_bytes(available)} ({held or 'nothing'}); what would fit: "
        + "; or ".join(suggestions)
    )
    return DoesNotFitError(
        message, model=spec.name, needed=needed, available=available, suggestions=suggestions
    )
