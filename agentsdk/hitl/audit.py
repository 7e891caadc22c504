"""The audit log: every human decision and every tool run, appended, never edited.

An `AuditEntry` says when (Unix time), who (`actor`: a person's name, "console", or
"agent" for tool runs), what happened (`action` and `what`), and the evidence the actor
saw when deciding. Entries live in the run's state and, with a checkpoint store, in its
append-only `audit` table.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

from agentsdk.codec import Serialisable
from agentsdk.errors import ConfigurationError

__all__ = ["AuditAction", "AuditEntry"]

AuditAction = Literal[
    "decision",  # a person answered an interruption
    "decision_refused",  # a decision did not fit the call it was given for: asked again
    "agent_changed",  # resumed by an agent with other tools or approval rules
    "tool_started",  # a tool is about to run (logged first: a crash mid-call is seen)
    "tool_checked",  # after a crash mid-call, the tool's check said whether it had run
    "tool_executed",  # a tool ran (or a person answered in its place)
    "perception_corrected",  # a person corrected or dropped an observation
    "guardrail",  # a guardrail tripped
]
_AUDIT_ACTIONS: frozenset[str] = frozenset(get_args(AuditAction))


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(Serialisable):
    """One line of the audit log."""

    _codec_order: ClassVar[tuple[str, ...]] = (
        "id",
        "time",
        "actor",
        "action",
        "what",
        "evidence",
        "run_id",
        "thread_id",
    )
    """The keys of `to_dict`, in the order the audit table has them."""

    action: AuditAction
    actor: str
    what: Mapping[str, Any]
    """The details: the decision, the call and its result, the correction..."""
    evidence: Mapping[str, Any] | None = None
    """The evidence the actor saw (`Evidence.to_dict()`), for decisions."""
    run_id: str = ""
    thread_id: str | None = None
    time: float = field(default_factory=time.time)
    id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        if self.action not in _AUDIT_ACTIONS:
            raise ConfigurationError(
                f"unknown audit action {self.action!r}; expected one of {sorted(_AUDIT_ACTIONS)}"
            )
