"""agentsdk: multimodal agents that see, hear and work with people, local-first.

Public names are re-exported here once; `__all__` is sorted and checked by a test.

Layers, lowest first; a module imports only from its own layer or below (checked by
tests/test_layers.py; docs/architecture.md has the flow and where to add things). The
folders follow the flow: parts -> router -> encoders -> fusion -> model -> tools ->
people -> answer.

1. foundation: errors, codec (JSON-ready data), messages, media, video (the parts),
   fences (of a fused prompt), truncation.
2. perception, models, tools, people's rules, safety: `encoders/`, `models/` (with
   `models/toolcalls/`), tools, toolbox, weights, `hitl/` (policies, approvals, console,
   audit), `safety/` (redaction, the redacting model, guardrails), `voices/` (text to
   speech: the `SpeechSynthesizer` protocol, the stock hibari voice, espeak-ng).
3. routing, fusion, kit, placement: router, fusion, history, events, `kit/`, `placement/`.
4. the run: `run/` (the entry points, result, state, checkpoints, the setup, the loop,
   the gate, the actor, the lease), agent, agent_files (agents named in Python files),
   runnable (the agent as a LangChain Runnable).
5. evals, serving and learning: `evals/`, `serve/`, `learn/`.
6. the command line: `cli/` (demo, chat, doctor, eval).

Modules that moved keep their old import paths (`agentsdk._moved`).
"""

from agentsdk import _moved
from agentsdk.agent import Agent, Limits
from agentsdk.encoders import Observation
from agentsdk.errors import (
    AgentSDKError,
    ConfigurationError,
    CorruptMediaError,
    EmptyAudioError,
    GenerationError,
    GuardrailTripped,
    InvalidAudioError,
    MediaError,
    MediaNotFoundError,
    MediaTooLargeError,
    MissingDependencyError,
    ModelError,
    ModelLoadError,
    ModelNotFoundError,
    ModelUnreachableError,
    RemoteModelError,
    SilentAudioError,
    StaleStateError,
    TamperedStateError,
    ThreadBusyError,
    ToolArgumentsError,
    UnsupportedMediaError,
    UnsupportedModelError,
    WeightsIntegrityError,
)
from agentsdk.hitl.approvals import (
    ApprovalContext,
    Decision,
    Evidence,
    EvidenceSection,
    Interruption,
)
from agentsdk.hitl.audit import AuditEntry
from agentsdk.hitl.console import ConsoleApprover
from agentsdk.kit import Kit
from agentsdk.media import Audio, Image, Media, MediaLimits
from agentsdk.messages import Message, Text, ToolCall, ToolResult
from agentsdk.models import (
    ChatModel,
    FunctionModel,
    GenerationSettings,
    LocalModel,
    ModelResponse,
    ModelStream,
    OpenAIModel,
    ScriptedModel,
    Usage,
    resolve_model,
)
from agentsdk.placement import Device, Placement, Plan, plan_placement
from agentsdk.run import RunResult
from agentsdk.run.checkpoints import CheckpointStore, SQLiteCheckpointStore
from agentsdk.run.state import RunState
from agentsdk.safety import (
    Guardrail,
    GuardrailVerdict,
    PIIFinding,
    PIIPattern,
    PIIVault,
    RedactingModel,
    Redactor,
    check_guardrails,
    find_pii,
    guardrail,
    injection_guardrail,
    pii_output_guardrail,
)
from agentsdk.tools import CallTemplate, Tool, current_call, tool
from agentsdk.video import Video
from agentsdk.voices import EspeakVoice, HibariVoice, SpeechSynthesizer

__version__ = "0.1.0"

_moved.install()

__all__ = [
    "Agent",
    "AgentSDKError",
    "ApprovalContext",
    "Audio",
    "AuditEntry",
    "CallTemplate",
    "ChatModel",
    "CheckpointStore",
    "ConfigurationError",
    "ConsoleApprover",
    "CorruptMediaError",
    "Decision",
    "Device",
    "EmptyAudioError",
    "EspeakVoice",
    "Evidence",
    "EvidenceSection",
    "FunctionModel",
    "GenerationError",
    "GenerationSettings",
    "Guardrail",
    "GuardrailTripped",
    "GuardrailVerdict",
    "HibariVoice",
    "Image",
    "Interruption",
    "InvalidAudioError",
    "Kit",
    "Limits",
    "LocalModel",
    "Media",
    "MediaError",
    "MediaLimits",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "Message",
    "MissingDependencyError",
    "ModelError",
    "ModelLoadError",
    "ModelNotFoundError",
    "ModelResponse",
    "ModelStream",
    "ModelUnreachableError",
    "Observation",
    "OpenAIModel",
    "PIIFinding",
    "PIIPattern",
    "PIIVault",
    "Placement",
    "Plan",
    "RedactingModel",
    "Redactor",
    "RemoteModelError",
    "RunResult",
    "RunState",
    "SQLiteCheckpointStore",
    "ScriptedModel",
    "SilentAudioError",
    "SpeechSynthesizer",
    "StaleStateError",
    "TamperedStateError",
    "Text",
    "ThreadBusyError",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolResult",
    "UnsupportedMediaError",
    "UnsupportedModelError",
    "Usage",
    "Video",
    "WeightsIntegrityError",
    "__version__",
    "check_guardrails",
    "current_call",
    "find_pii",
    "guardrail",
    "injection_guardrail",
    "pii_output_guardrail",
    "plan_placement",
    "resolve_model",
    "tool",
]
