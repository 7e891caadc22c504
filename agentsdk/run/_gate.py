"""The human gate of the loop: perception confirmations and tool-call approvals.

`Gate.act()` takes the current turn's tool calls through four steps (a call the model
wrote so badly that it could not be read, `ToolCall.malformed`, never gets that far: its
result is the error, for the model to read):

1. A call that was running when the process stopped (in `state.running`, no result) is
   never run again on its own. Its tool's `check` may tell (it happened: its result is
   kept; it did not: it runs again); otherwise it becomes an interruption ("it may have
   run already").
2. Each new call is checked against its tool's approval policy (the agent's
   `approvals` override the tool's own); those that need a person become interruptions
   carrying their evidence. Tools approved "for the rest of the run" pass.
3. The agent's approver callback, if any, is asked; then every decision is applied:
   approve / approve_always / edit run the call, reject / respond give its result. A
   decision applies only to the exact call it was given for (`Decision.digest`): one
   whose call changed since (another tool, other arguments) is dropped, audited as
   `decision_refused`, and the call is asked again.
4. The cleared calls are handed back; `agentsdk.run._act` runs them (the gate decides, the
   actor runs: one place for execution and its one timeout).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentsdk.encoders.base import Observation
from agentsdk.errors import ToolArgumentsError
from agentsdk.hitl.approvals import (
    ApprovalContext,
    Decision,
    Evidence,
    Interruption,
    call_digest,
    cited_sections,
)
from agentsdk.hitl.audit import AuditEntry
from agentsdk.hitl.policies import approval_reason
from agentsdk.messages import ToolCall

if TYPE_CHECKING:
    from agentsdk.run._act import Results
    from agentsdk.run._loop import _Run

__all__ = ["Gate"]

ALREADY_RAN = "Done: this call had run before the process stopped (its tool's check says so)."
CRASHED = (
    "the process stopped while this call was running, so it may have run already: "
    "approve to run it again, respond with its result, or reject it"
)


class Gate:
    def __init__(self, run: _Run, results: Results) -> None:
        self.run = run
        self.state = run.state
        self.results = results
        self.asked: set[str] = set()

    # -- channels ----------------------------------------------------------------------

    async def ask(self) -> None:
        """Ask the agent's approver (once per interruption in this process)."""
        approver = self.run.agent.approver
        if approver is None:
            return
        for interruption in self.state.pending:
            if interruption.id in self.asked:
                continue
            self.asked.add(interruption.id)
            answer = approver(interruption)
            decision = await answer if inspect.isawaitable(answer) else answer
            if decision is not None:
                self.state.decide(interruption, decision)

    def agent_changed(self, fingerprint: Mapping[str, str]) -> None:
        """The agent resuming is not the one that paused: its tools or approval rules
        differ. No approval given under the old rules carries over: decisions on tool
        calls are dropped, approvals "for the rest of the run" forgotten, and waiting
        calls go through the new rules again (calls that may have run stay asked)."""
        state = self.state
        old = state.agent
        changed = sorted(n for n in {*old, *fingerprint} if old.get(n) != fingerprint.get(n))
        started = {c.id for c in state.tool_calls}
        for interruption in list(state.interruptions):
            if interruption.call is None:
                continue
            state.decisions.pop(interruption.id, None)
            if interruption.call.id not in started:
                state.interruptions.remove(interruption)
        state.approved_tools = []
        state.agent = dict(fingerprint)
        self.run.audit(
            AuditEntry(
                action="agent_changed",
                actor="agent",
                what={"tools": changed},
                run_id=state.run_id,
                thread_id=state.thread_id,
            )
        )

    def _drop_unfit_decisions(self) -> None:
        """Keep only decisions that still fit what they decide on. An interruption whose
        call or observation is no longer the run's is replaced by one for what the run
        holds now (or dropped when it holds nothing); a decision whose digest differs
        from its interruption's is dropped. Both are audited; the person is asked again."""
        state = self.state
        for interruption in list(state.interruptions):
            current = self._current(interruption)
            decision = state.decisions.get(interruption.id)
            if current is not interruption:
                index = state.interruptions.index(interruption)
                if current is None:
                    del state.interruptions[index]
                else:
                    state.interruptions[index] = current
                state.decisions.pop(interruption.id, None)
                self._refused(interruption, decision, "what it decides on is not in the run")
            elif decision is not None and decision.digest != interruption.digest:
                del state.decisions[interruption.id]
                self._refused(interruption, decision, "the call changed after the decision")

    def _current(self, interruption: Interruption) -> Interruption | None:
        """`interruption`, or a fresh one when its call or observation is not the run's."""
        state = self.state
        if interruption.observation is not None:
            return interruption if interruption.observation in state.observations else None
        if interruption.call is None:
            return None
        call = self._executed(interruption.call.id)
        if call is None:
            return None
        if call_digest(call) == interruption.digest:
            return interruption
        return self._interruption(call, interruption.evidence.reason)

    def _refused(self, interruption: Interruption, decision: Decision | None, why: str) -> None:
        state = self.state
        self.run.audit(
            AuditEntry(
                action="decision_refused",
                actor="agent",
                what={
                    "interruption": interruption.id,
                    "why": why,
                    "decision": None if decision is None else decision.to_dict(),
                    "call": None if interruption.call is None else interruption.call.to_dict(),
                },
                run_id=state.run_id,
                thread_id=state.thread_id,
            )
        )

    def _take(self, interruption: Interruption) -> Decision:
        """Remove an answered interruption, audit its decision, return the decision."""
        state = self.state
        decision = state.decisions.pop(interruption.id)
        state.interruptions.remove(interruption)
        what: dict[str, Any] = {"interruption": interruption.id, "kind": interruption.kind}
        what.update(decision.to_dict())
        if interruption.call is not None:
            what["call"] = interruption.call.to_dict()
        self.run.audit(
            AuditEntry(
                action="decision",
                actor=decision.actor,
                what=what,
                evidence=interruption.evidence.to_dict(),
                run_id=state.run_id,
                thread_id=state.thread_id,
                time=decision.time,
            )
        )
        return decision

    # -- perception --------------------------------------------------------------------

    async def apply_perception_decisions(self) -> None:
        self._drop_unfit_decisions()
        await self.ask()
        state = self.state
        for interruption in list(state.interruptions):
            if interruption.kind != "perception" or interruption.id not in state.decisions:
                continue
            decision = self._take(interruption)
            original = interruption.observation
            assert original is not None
            if decision.action == "confirm":
                continue
            index = state.observations.index(original)
            corrected_text = decision.message if decision.action == "correct" else None
            if decision.action == "correct":
                corrected = dataclasses.replace(
                    original,
                    text=decision.message,
                    confidence=1.0,
                    details={
                        **original.details,
                        "corrected": {
                            "by": decision.actor,
                            "original_text": original.text,
                            "original_confidence": original.confidence,
                        },
                    },
                )
                state.observations[index] = corrected
            else:
                del state.observations[index]
            self.run.audit(
                AuditEntry(
                    action="perception_corrected",
                    actor=decision.actor,
                    what={
                        "interruption": interruption.id,
                        "encoder": original.encoder,
                        "part_id": original.part_id,
                        "original_text": original.text,
                        "original_confidence": original.confidence,
                        "corrected_text": corrected_text,
                        "dropped": decision.action == "reject",
                    },
                    evidence=interruption.evidence.to_dict(),
                    run_id=state.run_id,
                    thread_id=state.thread_id,
                    time=decision.time,
                )
            )

    # -- tools -------------------------------------------------------------------------

    async def act(self) -> dict[str, tuple[Mapping[str, Any], str]]:
        """Decide on the turn's calls: record what needs no running (unreadable calls,
        rejections, answers, crashed calls a check settled), raise interruptions for a
        person, and return the calls cleared to run: id -> (arguments, note for the
        model). Running them is `agentsdk.run._act`'s."""
        state = self.state
        waiting = {i.call.id for i in state.interruptions if i.call is not None}
        rerun: dict[str, tuple[Mapping[str, Any], str]] = {}
        for call_id in state.running:
            if call_id not in state.turn_results and call_id not in waiting:
                call = self._executed(call_id)
                assert call is not None  # a running call was recorded before it started
                verdict = await self._checked(call)
                if verdict is False:  # it did not happen: run it again, no one to ask
                    rerun[call_id] = (dict(call.arguments), "")
                elif verdict is None:
                    state.interruptions.append(self._interruption(call, CRASHED))
                    waiting.add(call_id)
                else:
                    done = verdict if isinstance(verdict, str) else ALREADY_RAN
                    self.results.record(call, done, executed=True)
        state.running = []
        for call in state.turn_calls:
            if call.id in state.turn_results or call.id in waiting or call.id in rerun:
                continue
            if call.malformed is not None:  # unreadable: never run, the model reads why
                self.results.record(
                    call,
                    f"Error: this tool call could not be read: {call.malformed}. "
                    "Call the tool again with a JSON object of arguments.",
                    True,
                )
                continue
            reason = self._needs_person(call)
            if reason is not None:
                state.interruptions.append(self._interruption(call, reason))
                waiting.add(call.id)
        self._drop_unfit_decisions()
        waiting = {i.call.id for i in state.interruptions if i.call is not None}
        await self.ask()
        self._expand_approve_always()
        cleared: dict[str, tuple[Mapping[str, Any], str]] = {}
        for interruption in list(state.interruptions):
            asked = interruption.call
            if asked is None or interruption.id not in state.decisions:
                continue
            decision = self._take(interruption)
            call = asked
            waiting.discard(call.id)
            if decision.action in ("approve", "approve_always"):
                cleared[call.id] = (self._real(call.arguments), "")
            elif decision.action == "edit":
                assert decision.arguments is not None
                shown = json.dumps(dict(decision.arguments), ensure_ascii=False)
                cleared[call.id] = (
                    dict(decision.arguments),
                    f"[a person changed the arguments to {shown}] ",
                )
            elif decision.action == "reject":
                why = f": {decision.message}" if decision.message.strip() else ""
                self.results.record(call, f"Error: a person rejected this call{why}", True)
            else:  # respond
                self.results.record(
                    call, f"A person answered in place of the tool: {decision.message}"
                )
        cleared.update(rerun)
        for call in state.turn_calls:
            if call.id not in state.turn_results and call.id not in waiting:
                cleared.setdefault(call.id, (self._real(call.arguments), ""))
        return cleared

    async def _checked(self, call: ToolCall) -> bool | str | None:
        """What the tool's `check` says of a call that was running when the process
        stopped (True or a result: it happened; False: it did not; None: ask a person).
        A check that fails, or returns anything else, is a None; the verdict is audited."""
        tool = self.run.tools.get(call.name)
        if tool is None or tool.check is None:
            return None
        try:
            verdict = await asyncio.to_thread(tool.check, call)
        except Exception as exc:
            verdict, why = None, f"the check raised {type(exc).__name__}: {exc}"
        else:
            if not isinstance(verdict, bool | str | None):
                verdict, why = None, f"the check returned {type(verdict).__name__}"
            else:
                why = ""
        state = self.state
        self.run.audit(
            AuditEntry(
                action="tool_checked",
                actor="agent",
                what={"call": call.to_dict(), "verdict": verdict, "why": why},
                run_id=state.run_id,
                thread_id=state.thread_id,
            )
        )
        return verdict

    def _needs_person(self, call: ToolCall) -> str | None:
        """Why this call needs a person, or None."""
        run, state = self.run, self.state
        tool = run.tools.get(call.name)
        if tool is None or call.name in state.approved_tools:
            return None
        policy = run.agent.approvals.get(call.name, tool.approval)
        if policy == "never":
            return None
        try:
            arguments = tool.validate(self._real(call.arguments))
        except ToolArgumentsError:
            return None  # it cannot run: the model gets the error, nothing happens
        context = ApprovalContext(
            tool=call.name,
            run_id=state.run_id,
            thread_id=state.thread_id,
            step=state.step,
            observations=tuple(state.observations),
        )
        return approval_reason(policy, call.name, arguments, context)

    def _interruption(self, call: ToolCall, reason: str) -> Interruption:
        state, tool = self.state, self.run.tools.get(call.name)
        arguments = self._real(call.arguments)
        in_prompt: dict[tuple[str, str], int] = {}
        if state.prompt is not None:
            for section in state.prompt.sections:
                key = (section.observation.part_id, section.observation.encoder)
                in_prompt[key] = section.index
        sections: list[tuple[int | None, Observation]] = [
            (in_prompt.get((o.part_id, o.encoder)), o) for o in state.observations
        ]
        evidence = Evidence(
            reason=reason,
            user_text=state.user_text,
            tool=call.name,
            description=tool.description if tool is not None else "",
            arguments=arguments,
            sections=cited_sections(arguments, sections),
        )
        return Interruption(kind="tool", evidence=evidence, call=call)

    def _expand_approve_always(self) -> None:
        """An approve-for-the-run also answers the same tool's other pending calls."""
        state = self.state
        for interruption in state.interruptions:
            decision = state.decisions.get(interruption.id)
            if interruption.call is None or decision is None:
                continue
            if decision.action != "approve_always":
                continue
            name = interruption.call.name
            if name not in state.approved_tools:
                state.approved_tools.append(name)
            for other in state.pending:
                if other.call is not None and other.call.name == name:
                    state.decisions[other.id] = Decision(
                        action="approve",
                        interruption_id=other.id,
                        actor=decision.actor,
                        message=f"approved for the rest of the run with {interruption.id}",
                        digest=other.digest,
                    )

    def _executed(self, call_id: str) -> ToolCall | None:
        """The call as it was started (edited arguments included), else as the model
        made it this turn; None when the run holds no such call."""
        for call in reversed(self.state.tool_calls):
            if call.id == call_id:
                return call
        return next((c for c in self.state.turn_calls if c.id == call_id), None)

    def _real(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Arguments with redaction placeholders replaced by the real values (a model's
        calls come restored by its `RedactingModel`; a state saved before it was one, or a
        person's edit, may still hold placeholders)."""
        vault = self.run.vault
        return dict(arguments) if vault is None else dict(vault.restore_value(dict(arguments)))
