"""The console channel: a person at the terminal reads the evidence and decides."""

from __future__ import annotations

from agentsdk import ConsoleApprover, Observation, ToolCall
from agentsdk.hitl.approvals import Evidence, EvidenceSection, Interruption


def _ocr(text: str = "TOTAL 15.50", confidence: float = 0.9) -> Observation:
    return Observation(
        kind="ocr",
        text=text,
        confidence=confidence,
        encoder="ocr",
        model="rapidocr",
        part_id="abc",
        part_name="receipt.png",
    )


def _tool_interruption() -> Interruption:
    return Interruption(
        kind="tool", evidence=Evidence(reason="check", tool="pay"), call=ToolCall("pay")
    )


def test_console_approver_reads_each_decision() -> None:
    said: list[str] = []

    def console(*answers: str) -> ConsoleApprover:
        queue = list(answers)
        return ConsoleApprover(ask=lambda prompt: queue.pop(0), say=said.append, actor="ops")

    interruption = _tool_interruption()
    approved = console("a")(interruption)
    assert approved is not None and (approved.action, approved.actor) == ("approve", "ops")
    assert console("A")(interruption).action == "approve_always"  # type: ignore[union-attr]
    edited = console("e", '{"amount": 2}')(interruption)
    assert edited is not None and edited.arguments == {"amount": 2}
    rejected = console("r", "no")(interruption)
    assert rejected is not None and (rejected.action, rejected.message) == ("reject", "no")
    answered = console("s", "it is 4")(interruption)
    assert answered is not None and answered.message == "it is 4"
    assert console("p")(interruption) is None
    # nonsense is asked again; bad JSON is refused and asked again
    assert console("x", "e", "{oops", "a")(interruption).action == "approve"  # type: ignore[union-attr]
    assert any("not JSON" in line for line in said)
    assert said[0].startswith("check")


def test_console_approver_on_perception_and_end_of_input() -> None:
    observation = _ocr(confidence=0.3)
    interruption = Interruption(
        kind="perception",
        evidence=Evidence(reason="unsure", sections=(EvidenceSection.of(observation),)),
        observation=observation,
        threshold=0.5,
    )
    answers = iter(["o", "TOTAL 16.50"])
    corrected = ConsoleApprover(ask=lambda p: next(answers), say=lambda s: None)(interruption)
    assert corrected is not None and corrected.message == "TOTAL 16.50"

    def closed(prompt: str) -> str:
        raise EOFError

    assert ConsoleApprover(ask=closed, say=lambda s: None)(interruption) is None
