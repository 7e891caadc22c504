"""Fixtures of the learn tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsdk.models.local import LocalModel


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint: Path) -> LocalModel:
    return LocalModel.from_pretrained(tiny_checkpoint)
