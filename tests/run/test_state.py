"""RunState: JSON round trip, decisions recorded on it, clear errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agentsdk import (
    ConfigurationError,
    Message,
    Observation,
    TamperedStateError,
    ToolCall,
    ToolResult,
    Usage,
)
from agentsdk.fusion import fuse
from agentsdk.hitl.approvals import Evidence, Interruption
from agentsdk.hitl.audit import AuditEntry
from agentsdk.run.state import RunState


def _state() -> RunState:
    observation = Observation(
        kind="ocr",
        text="TOTAL 15.50",
        confidence=0.4,
        encoder="ocr",
        model="rapidocr",
        part_id="p1",
        part_name="r.png",
        details={"lines": [{"text": "TOTAL 15.50", "score": 0.4}]},
        embedding=np.array([0.6, 0.8], np.float32),
    )
    call = ToolCall("pay", {"amount": 15.5, "to": "ACME"})
    first = Interruption(kind="tool", evidence=Evidence(reason="always", tool="pay"), call=call)
    second = Interruption(
        kind="perception", evidence=Evidence(reason="unsure"), observation=observation
    )
    return RunState(
        run_id="r1",
        thread_id="t1",
        phase="act",
        parts=["text", "image r.png"],
        user_text="Pay it",
        observations=[observation],
        perception_failures=[(1, "vision", "ModelNotFoundError: none")],
        prompt=fuse("Pay it", [observation]),
        messages=[Message.system("be kind"), Message.user("Pay it"), Message.assistant("", [call])],
        step=1,
        turn_calls=[call],
        turn_results={"x": ToolResult("x", "add", "3")},
        running=["x"],
        tool_calls=[call],
        tool_results=[ToolResult("x", "add", "3", True)],
        interruptions=[first, second],
        approved_tools=["add"],
        usage=Usage(10, 3),
        audit=[AuditEntry(action="tool_executed", actor="agent", what={"call": "x"})],
        vault={"placeholders": {"<EMAIL_1>": "a@b.co"}},
    )


def test_json_round_trip_keeps_everything() -> None:
    state = _state()
    state.reject(state.interruptions[0], "no")
    again = RunState.from_json(state.to_json())
    assert again.to_dict() == state.to_dict()
    assert again.observations == state.observations
    assert again.observations[0].embedding is not None
    assert again.prompt == state.prompt
    assert again.messages == state.messages
    assert again.interruptions == state.interruptions
    assert again.decisions == state.decisions
    assert again.usage == Usage(10, 3)
    assert json.loads(state.to_json())["format"] == 2


def test_several_decisions_at_once_and_pending() -> None:
    state = _state()
    tool, perception = state.interruptions
    assert state.pending == [tool, perception]
    returned = state.approve(tool, always=True, actor="ana").correct(perception.id, "TOTAL 16.50")
    assert returned is state
    assert state.pending == []
    assert state.decisions[tool.id].action == "approve_always"
    assert state.decisions[tool.id].actor == "ana"
    assert state.decisions[perception.id].message == "TOTAL 16.50"
    state.edit(tool, {"amount": 1}).respond(tool, "paid by hand")  # the last one counts
    assert state.decisions[tool.id].action == "respond"


def test_decisions_that_do_not_fit_are_refused() -> None:
    state = _state()
    tool, perception = state.interruptions
    with pytest.raises(ConfigurationError, match="cannot confirm a tool interruption"):
        state.confirm(tool)
    with pytest.raises(ConfigurationError, match="cannot approve a perception"):
        state.approve(perception)
    with pytest.raises(ConfigurationError, match="'int_nope' is not pending"):
        state.approve("int_nope")
    assert state.decisions == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "must be JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"format": 99}', "format 99"),
        ('{"format": 1, "run_id": "r"}', "not a valid run state"),
    ],
)
def test_bad_saved_states_get_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RunState.from_json(text)


def test_a_signed_state_round_trips_and_any_change_is_refused() -> None:
    state = _state()
    signed = state.to_json(key=b"k1")
    assert RunState.from_json(signed, key=b"k1").to_dict() == state.to_dict()
    assert RunState.from_json(signed).to_dict() == state.to_dict()  # no key: not checked
    data = json.loads(signed)
    data["approved_tools"] = ["add", "wipe"]
    with pytest.raises(TamperedStateError, match="does not match its signature"):
        RunState.from_json(json.dumps(data), key=b"k1")
    with pytest.raises(TamperedStateError):
        RunState.from_json(signed, key=b"k2")
    with pytest.raises(TamperedStateError, match="not signed"):
        RunState.from_json(state.to_json(), key=b"k1")
    with pytest.raises(ConfigurationError, match="empty"):
        state.to_json(key="")


def test_a_format_1_state_still_reads() -> None:
    data = _state().to_dict()
    data["format"] = 1
    del data["version"], data["agent"]
    old = RunState.from_dict(data)
    assert old.version == 0 and old.agent == {}


def test_a_copy_shares_nothing_mutable() -> None:
    state = _state()
    copied = state.copy()
    assert copied.to_dict() == state.to_dict()
    copied.interruptions.clear()
    copied.approved_tools.append("pay")
    copied.vault["placeholders"]["<EMAIL_1>"] = "x@y.z"
    copied.turn_results.clear()
    assert len(state.interruptions) == 2 and state.approved_tools == ["add"]
    assert state.vault == {"placeholders": {"<EMAIL_1>": "a@b.co"}} and state.turn_results
