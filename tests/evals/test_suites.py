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
