"""Audit entries: typed actions, JSON round trip."""

from __future__ import annotations

import pytest

from agentsdk import ConfigurationError
from agentsdk.hitl.audit import AuditEntry


def test_entries_round_trip_and_have_ids_and_times() -> None:
    entry = AuditEntry(
        action="decision",
        actor="ana",
        what={"action": "approve", "call": {"name": "pay"}},
        evidence={"reason": "always"},
        run_id="r",
        thread_id="t",
    )
    assert AuditEntry.from_dict(entry.to_dict()) == entry
    other = AuditEntry(action="tool_executed", actor="agent", what={})
    assert other.id != entry.id and other.time >= entry.time


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown audit action 'deleted'"):
        AuditEntry(action="deleted", actor="x", what={})  # type: ignore[arg-type]
