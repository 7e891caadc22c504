"""Approval policies, decisions, evidence and the console channel."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentsdk import ConfigurationError, Observation, ToolCall
from agentsdk.hitl.approvals import (
    ApprovalContext,
    Decision,
    Evidence,
    EvidenceSection,
    Interruption,
    call_digest,
    cited_sections,
    needs_approval,
    policy_fingerprint,
)


def _context(**overrides: object) -> ApprovalContext:
    values: dict[str, object] = {
        "tool": "pay",
        "run_id": "r1",
        "thread_id": None,
        "step": 1,
        "observations": (),
    }
    values.update(overrides)
    return ApprovalContext(**values)  # type: ignore[arg-type]


def _ocr(text: str = "TOTAL 15.50", confidence: float = 0.9) -> Observation:
    return Observation(
        kind="ocr",
        text=text,
        confidence=confidence,
        encoder="ocr",
        model="rapidocr",
        part_id="abc",
        part_name="receipt.png",
        details={"lines": [{"text": text, "score": confidence, "box": [[0, 0]] * 4}]},
    )


def test_policies_never_always_and_predicates() -> None:
    context = _context()
    assert not needs_approval("never", {"amount": 500}, context)
    assert needs_approval("always", {"amount": 1}, context)
    over_100 = lambda args: args["amount"] > 100  # noqa: E731
    assert needs_approval(over_100, {"amount": 150}, context)
    assert not needs_approval(over_100, {"amount": 50}, context)


def test_a_predicate_may_read_the_run_context() -> None:
    def unsure_perception(args: dict[str, float], context: ApprovalContext) -> bool:
        return any(o.confidence < 0.5 for o in context.observations)

    assert not needs_approval(unsure_perception, {}, _context(observations=(_ocr(),)))
    assert needs_approval(unsure_perception, {}, _context(observations=(_ocr(confidence=0.3),)))


def test_a_failing_predicate_asks_a_person() -> None:
    assert needs_approval(lambda args: args["missing"] > 1, {"amount": 5}, _context())


@pytest.mark.parametrize("verdict", [None, 0, "", "no", [], 0.0])
def test_a_predicate_that_answers_neither_yes_nor_no_asks_a_person(verdict: object) -> None:
    assert needs_approval(lambda args: verdict, {"amount": 5}, _context())


def test_numpy_booleans_are_yes_and_no() -> None:
    import numpy as np

    assert not needs_approval(
        lambda args: np.float64(args["amount"]) > 100, {"amount": 5}, _context()
    )
    assert needs_approval(
        lambda args: np.float64(args["amount"]) > 100, {"amount": 500}, _context()
    )


def test_decisions_check_what_they_carry() -> None:
    with pytest.raises(ConfigurationError, match="new arguments"):
        Decision(action="edit")
    with pytest.raises(ConfigurationError, match="needs the text"):
        Decision.respond("  ")
    with pytest.raises(ConfigurationError, match="unknown decision"):
        Decision(action="maybe")  # type: ignore[arg-type]
    interruption = Interruption(kind="tool", evidence=Evidence(reason="r"), call=ToolCall("pay"))
    with pytest.raises(ConfigurationError, match="cannot correct a tool interruption"):
        Decision.correct("text").bound(interruption)
    bound = Decision.edit({"amount": 3}, actor="ana").bound(interruption)
    assert (bound.interruption_id, bound.arguments, bound.actor) == (
        interruption.id,
        {"amount": 3},
        "ana",
    )


def test_interruptions_and_decisions_round_trip_through_dicts() -> None:
    evidence = Evidence(
        reason="why",
        user_text="pay it",
        tool="pay",
        description="Pay someone.",
        arguments={"amount": 15.5},
        sections=cited_sections({"amount": 15.5}, [(1, _ocr())]),
    )
    interruption = Interruption(
        kind="tool", evidence=evidence, call=ToolCall("pay", {"amount": 15.5})
    )
    again = Interruption.from_dict(interruption.to_dict())
    assert again == interruption
    decision = Decision.reject("too much", actor="bo").bound(interruption)
    assert Decision.from_dict(decision.to_dict()) == decision


def test_evidence_marks_the_sections_that_hold_an_argument() -> None:
    speech = Observation(
        kind="speech",
        text="pay the receipt",
        confidence=0.8,
        encoder="speech",
        model="whisper",
        part_id="s1",
        details={"segments": [{"start": 0.0, "end": 1.5, "text": " pay the receipt"}]},
    )
    sections = cited_sections({"amount": 15.5, "to": "ACME"}, [(1, speech), (2, _ocr())])
    assert [s.cited for s in sections] == [False, True]
    assert sections[0].lines == ("[0.0-1.5 s] pay the receipt",)
    assert sections[1].lines == ("TOTAL 15.50  (score 0.90)",)
    whole = cited_sections({"amount": 15.0}, [(None, _ocr("TOTAL 15"))])
    assert whole[0].cited and whole[0].index is None


def test_evidence_renders_for_a_person() -> None:
    evidence = Evidence(
        reason="tool 'pay' always needs a person's approval",
        user_text="Pay the total",
        tool="pay",
        description="Pay an amount.",
        arguments={"amount": 15.5},
        sections=(EvidenceSection.of(_ocr(), 2, cited=True),),
    )
    text = evidence.render()
    assert "tool: pay - Pay an amount." in text
    assert 'arguments: {"amount": 15.5}' in text
    assert "[section 2, ocr of receipt.png, ocr, confidence 0.90]  <- holds an argument" in text
    assert "TOTAL 15.50" in text


def _over(limit: float) -> Any:
    return lambda arguments: arguments["amount"] > limit


def test_policy_fingerprints_tell_rules_apart_and_ignore_what_a_rule_collects() -> None:
    schema = {"name": "pay", "parameters": {}}
    assert policy_fingerprint(schema, _over(100)) == policy_fingerprint(schema, _over(100))
    assert policy_fingerprint(schema, _over(100)) != policy_fingerprint(schema, _over(200))
    assert policy_fingerprint(schema, "always") != policy_fingerprint(schema, "never")
    assert policy_fingerprint(schema, "always") != policy_fingerprint({"name": "x"}, "always")
    seen: list[Any] = []

    def rule(arguments: Any) -> bool:
        seen.append(arguments)
        return True

    before = policy_fingerprint(schema, rule)
    rule({"amount": 1})
    assert policy_fingerprint(schema, rule) == before
    assert policy_fingerprint(schema, functools.partial(_over, 1)) != policy_fingerprint(
        schema, functools.partial(_over, 2)
    )


def test_a_policy_fingerprint_is_the_same_in_another_process() -> None:
    code = (
        "from agentsdk.hitl.approvals import policy_fingerprint\n"
        "limit = 100\n"
        "print(policy_fingerprint({'name': 'pay'}, lambda a: a['amount'] > limit))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and len(runs[0].stdout.strip()) == 64


def test_a_decision_carries_the_digest_of_what_it_decides_on() -> None:
    call = ToolCall("pay", {"to": "ACME", "amount": 5})
    interruption = Interruption(kind="tool", evidence=Evidence(reason="r"), call=call)
    decision = Decision.approve().bound(interruption)
    assert decision.digest == call_digest(call) == interruption.digest
    same = ToolCall("pay", {"amount": 5, "to": "ACME"}, id="another")  # key order, id
    assert call_digest(same) == decision.digest
    assert call_digest(ToolCall("pay", {"amount": 6, "to": "ACME"})) != decision.digest
    assert Decision.from_dict(decision.to_dict()) == decision
