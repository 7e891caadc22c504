"""Every error agentsdk raises on purpose, in one tree.

```
AgentSDKError
├── ConfigurationError            a setting or name that cannot work (also ValueError)
│   └── DoesNotFitError           a model does not fit the devices' budgets; says what would
│                                 (agentsdk.placement)
├── MissingDependencyError        an optional package is not installed (also ImportError)
├── MediaError                    an image or audio input was refused; nothing was lost
│   ├── MediaNotFoundError        the path does not exist (also FileNotFoundError)
│   ├── UnsupportedMediaError     not a format we can decode
│   ├── CorruptMediaError         the format is known but the data is broken or truncated
│   ├── MediaTooLargeError        over a configured limit (bytes, pixels, seconds)
│   └── InvalidAudioError         decoded, but unusable as audio
│       ├── EmptyAudioError       no samples at all
│       └── SilentAudioError      only silence (when silence is not allowed)
├── ModelError                    a model could not be found, loaded or run
│   ├── ModelNotFoundError        weights or their package are missing; says what to install
│   ├── WeightsIntegrityError     weights found but their size or sha256 is wrong
│   ├── ModelLoadError            weights found and intact, but loading failed
│   ├── UnsupportedModelError     a model name we cannot resolve (yet); also ConfigurationError
│   └── GenerationError           the model failed while generating
│       └── RemoteModelError      a model server refused or failed a request (names the URL)
│           └── ModelUnreachableError  the server could not be reached or timed out
├── GuardrailTripped              a guardrail's verdict stopped the run; carries the verdicts
├── ThreadBusyError               another run holds the thread (or moved it on); nothing ran
│   └── StaleStateError           the state is older than the thread's newest checkpoint
├── TamperedStateError            a signed run state does not match its signature
└── ToolArgumentsError            a tool call's arguments do not fit the tool (also ValueError)
```

Each error's message says what happened and what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentsdk.run.state import RunState
    from agentsdk.safety import GuardrailVerdict

__all__ = [
    "AgentSDKError",
    "ConfigurationError",
    "CorruptMediaError",
    "EmptyAudioError",
    "GenerationError",
    "GuardrailTripped",
    "InvalidAudioError",
    "MediaError",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "MissingDependencyError",
    "ModelError",
    "ModelLoadError",
    "ModelNotFoundError",
    "ModelUnreachableError",
    "RemoteModelError",
    "SilentAudioError",
    "StaleStateError",
    "TamperedStateError",
    "ThreadBusyError",
    "ToolArgumentsError",
    "UnsupportedMediaError",
    "UnsupportedModelError",
    "WeightsIntegrityError",
]


class AgentSDKError(Exception):
    """Base class of every error agentsdk raises on purpose."""


class ConfigurationError(AgentSDKError, ValueError):
    """A setting, option or name that cannot work as given."""


class MissingDependencyError(AgentSDKError, ImportError):
    """An optional package is missing; the message names the extra to install."""


class MediaError(AgentSDKError):
    """An image or audio input was refused. The caller's data is untouched."""


class MediaNotFoundError(MediaError, FileNotFoundError):
    """The media path does not exist."""


class UnsupportedMediaError(MediaError):
    """The bytes are not in a format we can decode."""


class CorruptMediaError(MediaError):
    """The format is recognised but the data is broken or truncated."""


class MediaTooLargeError(MediaError):
    """The input is over a configured limit (bytes, pixels or seconds)."""


class InvalidAudioError(MediaError):
    """The audio decoded but cannot be used (NaN or infinite samples, bad shape)."""


class EmptyAudioError(InvalidAudioError):
    """The audio holds no samples."""


class SilentAudioError(InvalidAudioError):
    """The audio holds only silence and silence is not allowed."""


class ModelError(AgentSDKError):
    """A model could not be found, loaded or run."""


class ModelNotFoundError(ModelError):
    """Weights, or the package that carries them, are not installed."""


class WeightsIntegrityError(ModelError):
    """Weights were found but their size or checksum is not the one recorded."""


class ModelLoadError(ModelError):
    """Weights were found but the runtime failed to load them."""


class UnsupportedModelError(ModelError, ConfigurationError):
    """A model name that cannot be resolved, or a backend not available yet."""


class GenerationError(ModelError):
    """The model failed while generating."""


class RemoteModelError(GenerationError):
    """A model server answered a request with an error, or with something unreadable.

    `url` is the server's base URL, `status` the HTTP status when there was one. The
    message never holds the API key.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class ModelUnreachableError(RemoteModelError):
    """The model server could not be reached (refused, unknown host, timed out), after
    the client's retries."""


class GuardrailTripped(AgentSDKError):
    """An input or output guardrail tripped and the runner stopped the run.

    `verdicts` holds every verdict of that check; `tripped` the ones that objected.
    `state` is the run's state when an agent raised it (saved first: nothing is lost).
    """

    def __init__(
        self,
        message: str,
        *,
        verdicts: Sequence[GuardrailVerdict] = (),
        state: RunState | None = None,
    ) -> None:
        super().__init__(message)
        self.verdicts: tuple[GuardrailVerdict, ...] = tuple(verdicts)
        self.state = state

    @property
    def tripped(self) -> tuple[GuardrailVerdict, ...]:
        return tuple(v for v in self.verdicts if v.tripwire)


class ThreadBusyError(AgentSDKError):
    """Another run holds this thread: a second process (or task) tried to run or resume
    it while the first still works on it. Nothing of this attempt ran; try again later
    (`holder` names the other run's owner, `until` when its lease ends, Unix time)."""

    def __init__(self, message: str, *, holder: str = "", until: float | None = None) -> None:
        super().__init__(message)
        self.holder = holder
        self.until = until


class StaleStateError(ThreadBusyError):
    """The state handed in is older than the thread's newest checkpoint: another run
    went on from it already (its decisions were applied, its tools ran). Load the
    thread again to see where it stands."""


class TamperedStateError(AgentSDKError):
    """A signed run state was changed after it was signed, or its signature is missing
    or made with another key. It is refused whole: nothing in it is used."""


class ToolArgumentsError(AgentSDKError, ValueError):
    """A tool call's arguments do not fit the tool's parameters; says which and why.

    `problems` holds one readable line per missing, unknown or invalid argument.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems)
