"""Setting a run up (`agentsdk.run._setup`): loading announced, the model and router
resolved, a model that must not read PII wrapped, the configuration checked."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentsdk import ConfigurationError, Image, RunState, ScriptedModel, Text
from agentsdk.agent import Agent
from agentsdk.events import PromptBuilt
from agentsdk.router import Router
from agentsdk.run._setup import Setup, Tooling, set_up
from agentsdk.safety.redacting_model import RedactingModel
from agentsdk.tools import tool
from tests.fakes import FixedEncoder


@tool
def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def _big_picture() -> Image:
    return Image(np.full((600, 900, 3), 200, dtype=np.uint8), name="big.png")


def _set_up(
    agent: Agent, parts: list[Any] | None = None, vault: dict[str, Any] | None = None
) -> tuple[Setup, RunState]:
    state = RunState(run_id="r", vault=dict(vault or {}))
    setup = asyncio.run(
        set_up(
            agent,
            Tooling.of(agent),
            state,
            parts,
            emit=lambda event: None,
            clock=lambda: 0.0,
            timings={},
        )
    )
    return setup, state


def test_tooling_holds_the_tools_by_name_and_their_shared_schemas() -> None:
    tooling = Tooling.of(Agent(model=ScriptedModel([]), tools=[add]))
    assert tooling.kit is None and list(tooling.tools) == ["add"]
    assert tooling.schemas[0] is tooling.tools["add"].shared_schema()


def test_the_model_is_wrapped_only_when_pii_must_be_redacted_for_it() -> None:
    local, remote = ScriptedModel([]), ScriptedModel([], remote=True)
    setup, _ = _set_up(Agent(model=local))
    assert setup.model is local and setup.vault is None and setup.private is None
    setup, _ = _set_up(Agent(model=remote))
    assert isinstance(setup.model, RedactingModel) and setup.model.model is remote
    assert setup.private is setup.model and setup.vault is setup.model.vault
    setup, _ = _set_up(Agent(model=remote, redact_pii="never"))
    assert setup.model is remote
    saved = {"version": 1, "placeholders": {"<EMAIL_1>": "ana@example.com"}}
    setup, _ = _set_up(Agent(model=local, redact_pii="always"), vault=saved)
    assert setup.vault is not None and setup.vault.mapping == saved["placeholders"]


def test_media_sent_natively_are_resized_and_parts_need_an_encoder() -> None:
    agent = Agent(model=ScriptedModel([]), router=Router(), perception="both")
    with pytest.raises(ConfigurationError, match="no encoder reads image parts"):
        _set_up(agent, [Text("look"), _big_picture()])
    native = Agent(
        model=ScriptedModel([]), router=Router(), perception="native", image_max_side=300
    )
    _, state = _set_up(native, [Text("look"), _big_picture()])
    assert [m.size for m in state.media] == [(300, 200)]  # type: ignore[attr-defined]
    _, resumed = _set_up(native, None)
    assert resumed.media == []  # a resumed run keeps the media its state has


def test_native_media_go_to_a_remote_model_only_when_allowed() -> None:
    model = ScriptedModel(["grey"], remote=True)
    with pytest.raises(ConfigurationError, match="remote_media=True"):
        Agent(model=model, router=Router(), perception="native").run(["?", _big_picture()])
    assert model.calls == []
    allowed = Agent(model=model, router=Router(), perception="native", remote_media=True)
    assert allowed.run(["?", _big_picture()]).text == "grey"


def test_models_that_must_load_are_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from agentsdk import Kit, weights
    from agentsdk.events import ModelLoaded, ModelLoading
    from agentsdk.weights import ComponentSpec, WeightFile

    package = tmp_path / "fake_llm_weights"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "w.bin").write_bytes(b"weights")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(weights, "_shared", {})  # nothing loaded in this process yet

    def load(spec: ComponentSpec, folder: Path) -> ScriptedModel:
        time.sleep(0.05)
        return ScriptedModel(["hello", "again"])

    spec = ComponentSpec(
        role="llm",
        model="fake",
        distribution="fake-llm-weights",
        package="fake_llm_weights",
        folder="",
        files=(WeightFile("w.bin", 7, hashlib.sha256(b"weights").hexdigest()),),
        runtime=(),
        loader=load,
    )
    agent = Agent(kit=Kit(components={"llm": spec}, name="fake"), router=Router())
    events = list(agent.stream_sync("hi"))
    loading = [e for e in events if isinstance(e, ModelLoading | ModelLoaded)]
    assert [(e.type, e.role, e.index, e.count) for e in loading] == [  # type: ignore[attr-defined]
        ("model_loading", "llm", 1, 1),
        ("model_loaded", "llm", 1, 1),
    ]
    assert loading[1].seconds >= 0.05  # type: ignore[attr-defined]
    assert events.index(loading[1]) < next(
        i for i, e in enumerate(events) if isinstance(e, PromptBuilt)
    )
    again = Agent(kit=Kit(components={"llm": spec}, name="fake"), router=Router())
    assert again.run("hi").trace.of_type(ModelLoading) == []  # shared: nothing to load


def test_a_typo_in_an_approval_or_escalation_name_is_an_error() -> None:
    model = ScriptedModel(["ok"])
    with pytest.raises(
        ConfigurationError, match=r"approvals name tools .*\['Add'\]; its tools: add"
    ):
        Agent(model=model, tools=[add], approvals={"Add": "always"}).run("hi")
    ocr = FixedEncoder("ocr", "image", "x", 0.9)
    with pytest.raises(ConfigurationError, match=r"\['speach'\]; its encoders: ocr"):
        Agent(model=model, router=Router(image=[ocr]), escalation={"speach": 0.3}).run("hi")
    assert model.calls == []  # refused before anything ran
