"""Suites on disk: loading, their targets, the stand-in side-effect tools, lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentsdk import ConfigurationError
from agentsdk.evals import Suite, find_suite, side_effect_tool

ROOT = Path(__file__).resolve().parents[2]


def _suite(folder: Path, config: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.json").write_text(json.dumps(config))
    (folder / "cases.jsonl").write_text(
        json.dumps({"id": "a", "text": "pay 5 to Bo", "expected": {"paused": True}}) + "\n"
    )
    return folder


def test_every_committed_suite_loads_with_a_ci_subset() -> None:
    names = sorted(p.parent.name for p in (ROOT / "evals").glob("*/suite.json"))
    assert {"multimodal", "tool_calls", "asr", "ocr", "vision", "hitl", "injection", "pii"} <= set(
        names
    )
    for name in names:
        suite = find_suite(name, root=ROOT / "evals")
        dataset = suite.dataset()
        assert len(dataset) >= 10, name
        assert suite.ci_limit is not None and 1 <= suite.ci_limit <= 8, name


def test_an_agent_suite_builds_its_tools_and_options(tmp_path: Path) -> None:
    folder = _suite(
        tmp_path / "s",
        {
            "target": "agent",
            "agent": {"tools": ["calculator"], "max_steps": 2, "redact_pii": "always"},
            "side_effect_tools": [
                {"name": "pay", "description": "Pay someone.", "approval": "always"},
                {"name": "notes", "description": "Read notes.", "result": "nothing new"},
            ],
        },
    )
    suite = Suite.load(folder)
    assert suite.name == "s" and suite.target == "agent" and suite.ci_limit is None
    make, label = suite._agent_factory(None)
    agent = make()
    assert label == "stock" and agent.redact_pii == "always" and agent.limits.max_steps == 2
    names = [getattr(t, "name", None) for t in agent.tools]
    assert names == ["calculator", "pay", "notes"]
    assert agent.tools[1].approval == "always"
    assert agent.tools[2]() == "nothing new"


def test_side_effect_tools_say_they_ran() -> None:
    tool = side_effect_tool({"name": "wipe", "parameters": {"type": "object", "properties": {}}})
    assert tool.approval == "never" and tool() == "wipe done"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"target": "robot"}, "target must be one of"),
        ({"target": "agent", "agent": {"tools": ["rm_rf"]}}, "no ready tool 'rm_rf'"),
        ({"target": "vision"}, "needs vision_model"),
    ],
)
def test_bad_suites_are_configuration_errors(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    folder = _suite(tmp_path / "bad", config)
    with pytest.raises(ConfigurationError, match=message):
        Suite.load(folder).build_target()


def test_unknown_suites_list_the_known_ones(tmp_path: Path) -> None:
    _suite(tmp_path / "mine", {"target": "agent"})
    assert find_suite("mine", root=tmp_path).name == "mine"
    assert find_suite(str(tmp_path / "mine")).folder == tmp_path / "mine"
    with pytest.raises(ConfigurationError, match=r"known under .*: mine"):
        find_suite("theirs", root=tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "suite.json").write_text("{nope")
    with pytest.raises(ConfigurationError, match="not JSON"):
        Suite.load(tmp_path / "broken")
    with pytest.raises(ConfigurationError, match=r"has no suite\.json"):
        Suite.load(tmp_path)


class _Named:
    """A stand-in for a loaded chat model: the suites only read its name here."""

    def __init__(self, name: str) -> None:
        self.name = name


class _FakeKit:
    def __init__(self, calls: list[dict[str, object]], **options: object) -> None:
        calls.append(options)
        adapter = options.get("adapter")
        self.llm = _Named("smollm2-135m" + (f"+{Path(str(adapter)).name}" if adapter else ""))


def test_an_adapter_goes_to_the_stock_kit_of_agent_and_model_suites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsdk.kit import Kit

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(Kit, "stock", lambda **options: _FakeKit(calls, **options))
    agent = Suite.load(_suite(tmp_path / "a", {"target": "agent"}))
    model = Suite.load(_suite(tmp_path / "m", {"target": "model"}))
    (model.folder / "tools.json").write_text("[]")
    adapter = tmp_path / "paris"

    _, label = agent.build_target(adapter=adapter, adapter_scope="all")
    assert label == "smollm2-135m+paris"  # the adapted LLM loaded while building
    assert calls == [{"adapter": adapter, "adapter_scope": "all"}]
    calls.clear()
    _, label = model.build_target("stock", adapter=adapter)
    assert label == "smollm2-135m+paris"
    assert calls == [{"adapter": adapter, "adapter_scope": "trained"}]
    calls.clear()
    _, label = agent._agent_factory(None)  # no adapter: as before, nothing loaded
    assert label == "stock" and calls == [{}]


def test_an_adapter_on_a_local_model_loads_it_apart_from_the_plain_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsdk.kit import Kit
    from agentsdk.models import resolve
    from agentsdk.models.local import LocalModel

    loads: list[tuple[str, dict[str, object]]] = []

    def from_pretrained(path: str, **options: object) -> _Named:
        loads.append((path, options))
        return _Named(f"{Path(path).name}+{Path(str(options['adapter'])).name}")

    monkeypatch.setattr(LocalModel, "from_pretrained", from_pretrained)
    monkeypatch.setattr(Kit, "stock", lambda **options: _FakeKit([], **options))
    checkpoint = tmp_path / "ckpt"
    for target in ("model", "agent"):
        suite = Suite.load(_suite(tmp_path / target, {"target": target}))
        (suite.folder / "tools.json").write_text("[]")
        _, label = suite.build_target(
            f"local:{checkpoint}", adapter=tmp_path / "paris", adapter_scope="all"
        )
        assert label == "ckpt+paris"
    # one load, shared by both suites, keyed by checkpoint, adapter and scope
    assert loads == [
        (str(checkpoint), {"adapter": str(tmp_path / "paris"), "adapter_scope": "all"})
    ]
    assert str(checkpoint) not in resolve._local  # the plain model's cache holds no adapter
    suite.build_target(f"local:{checkpoint}", adapter=tmp_path / "paris")
    assert [options["adapter_scope"] for _, options in loads] == ["all", "trained"]


@pytest.mark.parametrize("target", ["speech", "ocr", "vision"])
def test_an_adapter_does_not_apply_to_an_encoder_suite(tmp_path: Path, target: str) -> None:
    suite = Suite.load(_suite(tmp_path / target, {"target": target}))
    with pytest.raises(ConfigurationError, match=f"a {target} suite runs no LLM"):
        suite.build_target(adapter=tmp_path / "paris")


@pytest.mark.parametrize("target", ["model", "agent"])
def test_an_adapter_with_a_remote_model_is_refused(tmp_path: Path, target: str) -> None:
    suite = Suite.load(_suite(tmp_path / target, {"target": target}))
    (suite.folder / "tools.json").write_text("[]")
    with pytest.raises(ConfigurationError, match="an adapter applies to a local model"):
        suite.build_target("openai:gpt-4o-mini@http://127.0.0.1:9", adapter=tmp_path / "x")


def test_a_missing_adapter_fails_when_the_target_is_built(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from agentsdk import ModelNotFoundError

    suite = Suite.load(_suite(tmp_path / "m", {"target": "model"}))
    (suite.folder / "tools.json").write_text("[]")
    with pytest.raises(ModelNotFoundError, match="no adapter at"):
        suite.build_target(f"local:{tiny_checkpoint}", adapter=tmp_path / "nowhere")
    with pytest.raises(ModelNotFoundError, match="no adapter at"):
        Suite.load(_suite(tmp_path / "a", {"target": "agent"})).build_target(
            adapter=tmp_path / "nowhere"
        )
