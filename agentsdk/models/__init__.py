"""Chat models: the `ChatModel` protocol, `LocalModel` (transformers), test fakes, names.

`LocalModel` imports torch and transformers only when used.
"""

from agentsdk.models.base import (
    ChatModel,
    FinishReason,
    GenerationSettings,
    ModelResponse,
    ModelStream,
    ToolSchema,
    Usage,
)
from agentsdk.models.constrained import EmbeddingToolRanker, ToolRanker
from agentsdk.models.local import LoadInfo, LocalModel
from agentsdk.models.resolve import resolve_model
from agentsdk.models.testing import FunctionModel, ModelCall, ScriptedModel

__all__ = [
    "ChatModel",
    "EmbeddingToolRanker",
    "FinishReason",
    "FunctionModel",
    "GenerationSettings",
    "LoadInfo",
    "LocalModel",
    "ModelCall",
    "ModelResponse",
    "ModelStream",
    "ScriptedModel",
    "ToolRanker",
    "ToolSchema",
    "Usage",
    "resolve_model",
]
