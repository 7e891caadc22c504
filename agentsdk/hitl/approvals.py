"""Where a person decides: approval policies, interruptions with evidence, decisions.

A run pauses with `Interruption`s of two kinds:

| kind           | raised when                                           | decisions            |
| -------------- | ----------------------------------------------------- | -------------------- |
| `tool`         | a tool call needs approval (its policy says so), or   | approve, approve for |
|                | the process stopped while the call was running        | the rest of the run, |
|                |                                                       | edit, reject, respond|
| `perception`   | an observation's confidence is under its encoder's    | confirm, correct,    |
|                | threshold (a mumbled question, a blurry receipt)      | reject (drop it)     |

Each interruption carries its `Evidence`: the tool and arguments, and the observations
that led to them (transcript with confidence, OCR lines, image reference, prompt
sections), so a person can judge without opening the files again.

The rules that decide *whether* a call needs a person (policies, `needs_approval`, the
digests and fingerprints) live in `agentsdk.hitl.policies` and are re-exported here.

A `Decision` answers one interruption. People give them through a channel: the
programmatic one on `RunState` (`state.approve(...)`), a callback the agent calls (sync or
async, returning a `Decision` or None to leave the run paused), or `ConsoleApprover`
(`agentsdk.hitl.console`, what `agentsdk chat` uses).
"""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias, get_args

from agentsdk.codec import Serialisable
from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError
from agentsdk.hitl.policies import (
    ApprovalContext,
    call_digest,
    needs_approval,
    observation_digest,
    policy_fingerprint,
)
from agentsdk.messages import ToolCall

__all__ = [
    "Action",
    "ApprovalContext",
    "Approver",
    "Decision",
    "Evidence",
    "EvidenceSection",
    "Interruption",
    "InterruptionKind",
    "call_digest",
    "needs_approval",
    "policy_fingerprint",
]

InterruptionKind = Literal["tool", "perception"]
Action = Literal["approve", "approve_always", "edit", "reject", "respond", "confirm", "correct"]
_ACTIONS: frozenset[str] = frozenset(get_args(Action))
ALLOWED: dict[str, frozenset[str]] = {
    "tool": frozenset({"approve", "approve_always", "edit", "reject", "respond"}),
    "perception": frozenset({"confirm", "correct", "reject"}),
}


@dataclass(frozen=True, slots=True)
class EvidenceSection(Serialisable):
    """One observation as the person sees it: where it came from, how sure, what it said."""

    index: int | None
    """The section number in the prompt the model read (None: not in the prompt)."""
    kind: str
    encoder: str
    model: str
    confidence: float
    part_name: str | None
    part_id: str
    text: str
    lines: tuple[str, ...] = ()
    """OCR lines or transcript segments with their own scores and spans."""
    cited: bool = False
    """True when one of the call's argument values appears in this text."""

    @classmethod
    def of(
        cls, observation: Observation, index: int | None = None, cited: bool = False
    ) -> EvidenceSection:
        return cls(
            index=index,
            kind=observation.kind,
            encoder=observation.encoder,
            model=observation.model,
            confidence=observation.confidence,
            part_name=observation.part_name,
            part_id=observation.part_id,
            text=observation.text,
            lines=_detail_lines(observation),
            cited=cited,
        )


def _detail_lines(observation: Observation) -> tuple[str, ...]:
    details = observation.details
    found: list[str] = []
    for line in details.get("lines") or ():
        if isinstance(line, Mapping):
            found.append(f"{line.get('text', '')}  (score {float(line.get('score', 0)):.2f})")
    for segment in details.get("segments") or ():
        if isinstance(segment, Mapping):
            found.append(
                f"[{float(segment.get('start', 0)):.1f}-{float(segment.get('end', 0)):.1f} s] "
                f"{str(segment.get('text', '')).strip()}"
            )
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Evidence(Serialisable):
    """What a person needs to judge an interruption without opening the files."""

    reason: str
    """Why a person is asked, in one sentence."""
    user_text: str = ""
    """What the user typed."""
    tool: str | None = None
    description: str = ""
    """The tool's description."""
    arguments: Mapping[str, Any] = field(default_factory=dict)
    """The call's arguments, with real values (never redaction placeholders)."""
    sections: tuple[EvidenceSection, ...] = ()
    """The observations behind the request; `cited` marks those holding an argument."""

    def render(self) -> str:
        """Readable text for a console or a log."""
        out = [self.reason]
        if self.user_text:
            out.append(f"user asked: {self.user_text}")
        if self.tool is not None:
            out.append(f"tool: {self.tool} - {self.description}")
            out.append(f"arguments: {json.dumps(dict(self.arguments), ensure_ascii=False)}")
        for section in self.sections:
            where = f" of {section.part_name}" if section.part_name else ""
            number = f"section {section.index}, " if section.index is not None else ""
            mark = "  <- holds an argument" if section.cited else ""
            out.append(
                f"[{number}{section.kind}{where}, {section.encoder}, "
                f"confidence {section.confidence:.2f}]{mark}"
            )
            body = "\n".join(section.lines) if section.lines else section.text
            out.append(textwrap.indent(body or "(nothing)", "    "))
        return "\n".join(out)


def cited_sections(
    arguments: Mapping[str, Any], sections: Sequence[tuple[int | None, Observation]]
) -> tuple[EvidenceSection, ...]:
    """Evidence sections, those whose text holds one of the argument values marked."""
    values = [v for v in _leaf_strings(arguments) if len(v) >= 2]
    made = []
    for index, observation in sections:
        haystack = observation.text.casefold()
        cited = any(value.casefold() in haystack for value in values)
        made.append(EvidenceSection.of(observation, index, cited))
    return tuple(made)


def _leaf_strings(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _leaf_strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _leaf_strings(item)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        return [str(int(value)), str(value)]
    return [str(value)]


def _new_id() -> str:
    return f"int_{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Interruption(Serialisable):
    """A decision a person must make before the run goes on."""

    _codec_order: ClassVar[tuple[str, ...]] = (
        "id",
        "kind",
        "evidence",
        "call",
        "observation",
        "threshold",
        "created",
    )
    """The keys of `to_dict`, in the order saved states have them."""

    kind: InterruptionKind
    evidence: Evidence
    id: str = field(default_factory=_new_id)
    call: ToolCall | None = None
    """For `tool`: the call waiting for a decision (arguments as the model wrote them)."""
    observation: Observation | None = None
    """For `perception`: the observation to confirm or correct."""
    threshold: float | None = None
    """For `perception`: the encoder's confidence threshold it fell under."""
    created: float = field(default_factory=time.time)
    """Unix time it was raised."""

    @property
    def allowed(self) -> frozenset[str]:
        """The decision actions that fit this interruption."""
        return ALLOWED[self.kind]

    @property
    def digest(self) -> str:
        """The fingerprint of what is decided on: the call (`call_digest`) or the
        observation (its encoder, part and text). A decision carries it."""
        if self.call is not None:
            return call_digest(self.call)
        if self.observation is not None:
            return observation_digest(self.observation)
        return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(Serialisable):
    """A person's answer to one interruption.

    Make them with the class methods (`Decision.approve()`, `Decision.reject("why")`...);
    `interruption_id` is filled in by the channel that receives the decision.
    """

    action: Action
    interruption_id: str = ""
    arguments: Mapping[str, Any] | None = None
    """For `edit`: the arguments the tool runs with instead."""
    message: str = ""
    """For `reject`: what the model is told. For `respond`: the answer given in place of
    the tool. For `correct`: the corrected text of the observation."""
    actor: str = "human"
    """Who decided (a user name, "console", ...), for the audit log."""
    time: float = field(default_factory=time.time)
    digest: str = ""
    """The `Interruption.digest` of what was decided on, set when the decision is bound
    to its interruption: the run applies a decision only to that exact call (or
    observation); anything changed since is asked again."""

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            raise ConfigurationError(
                f"unknown decision {self.action!r}; expected one of {sorted(_ACTIONS)}"
            )
        if self.action == "edit" and not isinstance(self.arguments, Mapping):
            raise ConfigurationError("an edit decision needs the new arguments (a dict)")
        if self.action in ("respond", "correct") and not self.message.strip():
            raise ConfigurationError(f"a {self.action} decision needs the text to use")

    @classmethod
    def approve(cls, *, actor: str = "human") -> Decision:
        return cls(action="approve", actor=actor)

    @classmethod
    def approve_always(cls, *, actor: str = "human") -> Decision:
        """Approve this call and every later call of the same tool in this run."""
        return cls(action="approve_always", actor=actor)

    @classmethod
    def edit(cls, arguments: Mapping[str, Any], *, actor: str = "human") -> Decision:
        return cls(action="edit", arguments=dict(arguments), actor=actor)

    @classmethod
    def reject(cls, message: str = "", *, actor: str = "human") -> Decision:
        return cls(action="reject", message=message, actor=actor)

    @classmethod
    def respond(cls, answer: str, *, actor: str = "human") -> Decision:
        return cls(action="respond", message=answer, actor=actor)

    @classmethod
    def confirm(cls, *, actor: str = "human") -> Decision:
        return cls(action="confirm", actor=actor)

    @classmethod
    def correct(cls, text: str, *, actor: str = "human") -> Decision:
        return cls(action="correct", message=text, actor=actor)

    def bound(self, interruption: Interruption) -> Decision:
        """This decision addressed to `interruption`; refuses actions that do not fit it."""
        if self.action not in interruption.allowed:
            raise ConfigurationError(
                f"cannot {self.action} a {interruption.kind} interruption; "
                f"use one of {sorted(interruption.allowed)}"
            )
        return Decision(
            action=self.action,
            interruption_id=interruption.id,
            arguments=None if self.arguments is None else dict(self.arguments),
            message=self.message,
            actor=self.actor,
            time=self.time,
            digest=interruption.digest,
        )


Approver: TypeAlias = Callable[[Interruption], "Decision | Awaitable[Decision | None] | None"]
"""A channel the agent calls for each interruption: return a `Decision`, or None to leave
the run paused (the interruption is then in `result.interruptions`)."""


def __getattr__(name: str) -> Any:
    """`ConsoleApprover` moved to `agentsdk.hitl.console`; still importable from here."""
    if name == "ConsoleApprover":
        from agentsdk.hitl.console import ConsoleApprover

        return ConsoleApprover
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
