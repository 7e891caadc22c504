"""agentsdk: multimodal agents that see, hear and work with people, local-first.

Public names are re-exported here once; `__all__` is sorted and checked by a test.

Layers, lowest first; a module imports only from its own layer or below (checked by
tests/test_layers.py; docs/architecture.md has the flow and where to add things):
foundation (errors, messages, media, video, audit) -> perception, models, tools
(encoders, models, tools, toolbox, weights) -> routing, fusion, kit, placement, events -> run,
people, safety (agent, run, the loop, state, checkpoints, approvals, redaction) -> evals
and jobs (evals, demo, doctor) -> the command line.
"""

from agentsdk.agent import Agent, Limits
from agentsdk.approvals import (
    ApprovalContext,
    ConsoleApprover,
    Decision,
    Evidence,
    EvidenceSection,
    Interruption,
)
from agentsdk.audit import AuditEntry
from agentsdk.checkpoints import CheckpointStore, SQLiteCheckpointStore
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
from agentsdk.safety import (
    Guardrail,
    GuardrailVerdict,
    PIIFinding,
    PIIPattern,
    PIIVault,
    Redactor,
    check_guardrails,
    find_pii,
    guardrail,
    injection_guardrail,
    pii_output_guardrail,
)
from agentsdk.state import RunState
from agentsdk.tools import CallTemplate, Tool, current_call, tool
from agentsdk.video import Video

__version__ = "0.1.0"

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
    "Evidence",
    "EvidenceSection",
    "FunctionModel",
    "GenerationError",
    "GenerationSettings",
    "Guardrail",
    "GuardrailTripped",
    "GuardrailVerdict",
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
    "Redactor",
    "RemoteModelError",
    "RunResult",
    "RunState",
    "SQLiteCheckpointStore",
    "ScriptedModel",
    "SilentAudioError",
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
