"""`RunState`: a run as data, so it can pause for a person and resume anywhere.

A state holds everything needed to go on without repeating work: what the encoders
perceived (so they never run again), the fused prompt, the conversation, the tool calls
of the current turn with the results they already have (so a tool that ran never runs
again: idempotency by call id), the interruptions waiting for a person and the decisions
given so far, the audit log and the PII vault. `to_json()` / `from_json()` round-trip it;
`agentsdk.run.checkpoints.SQLiteCheckpointStore` saves it by thread id after every step.

A state that leaves the process can be signed: `to_json(key=...)` adds an HMAC-SHA256 of
its content, `from_json(text, key=...)` refuses (`TamperedStateError`) a state changed
since, or signed with another key, or not signed at all. `version` counts the state's
checkpoints: a store saves only on top of the version a state was loaded at, so two
processes can never both go on from the same pause (`StaleStateError`).

Decide on a paused state with `approve`, `reject`, `edit`, `respond` (tool calls) or
`confirm`, `correct`, `reject` (perception), as many as are pending, then hand it to
`agent.resume(state)`. Each returns the state itself, so calls chain:

>>> state.approve(state.interruptions[0]).reject(state.interruptions[1], "not that one")
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentsdk.codec import from_data, options, to_data
from agentsdk.encoders.base import Observation
from agentsdk.errors import ConfigurationError, TamperedStateError
from agentsdk.fusion import FusedPrompt
from agentsdk.hitl.approvals import Decision, Interruption
from agentsdk.hitl.audit import AuditEntry
from agentsdk.media import MediaPart, media_from_dict, media_to_dict
from agentsdk.messages import Message, ToolCall, ToolResult
from agentsdk.models.base import FinishReason, Usage

__all__ = ["FORMAT_VERSION", "Phase", "RunState"]

FORMAT_VERSION = 2
_READS = frozenset({1, 2})  # 1: before versions, agent fingerprints and signatures
Phase = Literal["confirm", "think", "act", "finished"]
"""Where the run stands: `confirm` perceptions (then fuse), `think` (next: a model turn),
`act` (the last turn's tool calls), `finished`."""


def _media_out(items: list[MediaPart]) -> list[dict[str, Any]]:
    return [media_to_dict(item) for item in items]


def _media_in(items: list[Mapping[str, Any]]) -> list[MediaPart]:
    return [media_from_dict(item) for item in items]


@dataclass(kw_only=True)
class RunState:
    """Everything a paused or finished run needs to go on. Plain data; JSON round trip."""

    run_id: str
    thread_id: str | None = None
    phase: Phase = field(default="confirm", metadata=options(required=True))
    parts: list[str] = field(default_factory=list)
    """A description of each input part ("text", "image receipt.png")."""
    user_text: str = ""
    history: list[Message] = field(default_factory=list)
    """Earlier turns of the thread, before the budget trims them (see `agentsdk.history`)."""
    media: list[MediaPart] = field(
        default_factory=list, metadata=options(encode=_media_out, decode=_media_in)
    )
    """Images and audio sent natively with the user message (`Agent(perception=...)`)."""
    observations: list[Observation] = field(default_factory=list)
    """What the encoders perceived, corrections applied; never re-encoded on resume."""
    perception_failures: list[tuple[int, str, str]] = field(default_factory=list)
    prompt: FusedPrompt | None = None
    messages: list[Message] = field(default_factory=list)
    """The conversation, with real values (a `RedactingModel` shows a model placeholders)."""
    step: int = 0
    """Model turns taken."""
    turn_calls: list[ToolCall] = field(default_factory=list)
    """The tool calls of the turn being acted on."""
    turn_results: dict[str, ToolResult] = field(default_factory=dict)
    """Results of `turn_calls` so far, by call id."""
    running: list[str] = field(default_factory=list)
    """Ids of calls started but not finished at the last checkpoint (a crash mid-call)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Every call of the run, as executed (edited arguments applied)."""
    tool_results: list[ToolResult] = field(default_factory=list)
    interruptions: list[Interruption] = field(default_factory=list)
    """Waiting for a person."""
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Given but not applied yet, by interruption id."""
    approved_tools: list[str] = field(default_factory=list)
    """Tools approved for the rest of the run."""
    usage: Usage = field(default_factory=Usage)
    text: str = ""
    finish_reason: FinishReason | None = None
    audit: list[AuditEntry] = field(default_factory=list)
    vault: dict[str, Any] = field(default_factory=dict)
    """The PII vault (placeholders and the real values), when redaction is on."""
    updated: float = field(default_factory=time.time)
    version: int = 0
    """How many times the state was checkpointed: a store saves a state only on top of
    this version of its thread (compare and swap), and a copy left behind is stale."""
    agent: dict[str, str] = field(default_factory=dict)
    """A fingerprint of the agent's tools and approval rules, by tool name: a run
    resumed by an agent whose tools or rules differ is asked again, not trusted."""

    def copy(self) -> RunState:
        """A copy to go on from, sharing nothing mutable with this state (its parts are
        immutable values and are shared)."""
        made = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, list | dict):
                setattr(made, name, copy.deepcopy(value) if name == "vault" else type(value)(value))
        return made

    # -- deciding ----------------------------------------------------------------------

    @property
    def pending(self) -> list[Interruption]:
        """Interruptions with no decision yet."""
        return [i for i in self.interruptions if i.id not in self.decisions]

    def decide(self, interruption: Interruption | str, decision: Decision) -> RunState:
        """Record `decision` for `interruption` (or its id); applied on resume."""
        found = self._find(interruption)
        self.decisions[found.id] = decision.bound(found)
        return self

    def approve(
        self, interruption: Interruption | str, *, always: bool = False, actor: str = "human"
    ) -> RunState:
        """Run the call; with `always`, every later call of that tool in this run too."""
        made = Decision.approve_always if always else Decision.approve
        return self.decide(interruption, made(actor=actor))

    def reject(
        self, interruption: Interruption | str, message: str = "", *, actor: str = "human"
    ) -> RunState:
        """Tool call: don't run it; the model reads `message`. Perception: drop it."""
        return self.decide(interruption, Decision.reject(message, actor=actor))

    def edit(
        self,
        interruption: Interruption | str,
        arguments: Mapping[str, Any],
        *,
        actor: str = "human",
    ) -> RunState:
        """Run the call with these arguments instead; the model is told."""
        return self.decide(interruption, Decision.edit(arguments, actor=actor))

    def respond(
        self, interruption: Interruption | str, answer: str, *, actor: str = "human"
    ) -> RunState:
        """Don't run the tool: `answer` is its result."""
        return self.decide(interruption, Decision.respond(answer, actor=actor))

    def confirm(self, interruption: Interruption | str, *, actor: str = "human") -> RunState:
        """The observation is right as it is."""
        return self.decide(interruption, Decision.confirm(actor=actor))

    def correct(
        self, interruption: Interruption | str, text: str, *, actor: str = "human"
    ) -> RunState:
        """The observation should read `text`."""
        return self.decide(interruption, Decision.correct(text, actor=actor))

    def _find(self, interruption: Interruption | str) -> Interruption:
        wanted = interruption if isinstance(interruption, str) else interruption.id
        for candidate in self.interruptions:
            if candidate.id == wanted:
                return candidate
        known = ", ".join(i.id for i in self.interruptions) or "none"
        raise ConfigurationError(
            f"interruption {wanted!r} is not pending in run {self.run_id} (pending: {known})"
        )

    # -- JSON --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the format version, then the fields (`agentsdk.codec.to_data`;
        messages in the OpenAI chat format, media parts as their encoded files)."""
        return {"format": FORMAT_VERSION, **to_data(self)}

    def to_json(self, *, key: str | bytes | None = None) -> str:
        """The state as JSON; with `key`, signed (HMAC-SHA256 of its canonical form)."""
        data = self.to_dict()
        if key is not None:
            data["signature"] = _signature(data, key)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunState:
        version = data.get("format")
        if version not in _READS:
            raise ConfigurationError(
                f"this run state has format {version!r}; this agentsdk reads formats "
                f"{sorted(_READS)}"
            )
        try:
            return from_data(cls, data)
        except ConfigurationError as exc:  # names the field that does not fit
            raise ConfigurationError(f"not a valid run state: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"not a valid run state: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes, *, key: str | bytes | None = None) -> RunState:
        """Read a state; with `key`, only one signed with that key and unchanged since."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"a run state must be JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigurationError("a run state must be a JSON object")
        signature = data.pop("signature", None)
        if key is not None:
            if not isinstance(signature, str):
                raise TamperedStateError("the run state is not signed, and a key was given")
            if not hmac.compare_digest(signature, _signature(data, key)):
                raise TamperedStateError(
                    "the run state does not match its signature: it was changed after it "
                    "was signed, or signed with another key"
                )
        return cls.from_dict(data)


def _signature(data: Mapping[str, Any], key: str | bytes) -> str:
    """HMAC-SHA256 of the state's canonical JSON (keys sorted, no spaces)."""
    if not key:
        raise ConfigurationError("a signing key must not be empty")
    secret = key.encode() if isinstance(key, str) else key
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()
