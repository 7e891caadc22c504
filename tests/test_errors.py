"""The exception tree."""

from __future__ import annotations

import pytest

from agentsdk import errors


@pytest.mark.parametrize(
    ("error", "parents"),
    [
        (errors.ConfigurationError, (errors.AgentSDKError, ValueError)),
        (errors.MissingDependencyError, (errors.AgentSDKError, ImportError)),
        (errors.MediaNotFoundError, (errors.MediaError, FileNotFoundError)),
        (errors.SilentAudioError, (errors.InvalidAudioError, errors.MediaError)),
        (errors.EmptyAudioError, (errors.InvalidAudioError,)),
        (errors.WeightsIntegrityError, (errors.ModelError,)),
        (errors.UnsupportedModelError, (errors.ModelError, errors.ConfigurationError)),
        (errors.GenerationError, (errors.ModelError,)),
    ],
)
def test_tree(error: type[Exception], parents: tuple[type[Exception], ...]) -> None:
    for parent in parents:
        assert issubclass(error, parent)
    assert issubclass(error, errors.AgentSDKError)


def test_media_and_model_branches_are_disjoint() -> None:
    assert not issubclass(errors.MediaError, errors.ModelError)
    assert not issubclass(errors.ModelError, errors.MediaError)
