"""API keys: stored hashed, found in constant time, scoped, rate-limited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentsdk import ConfigurationError
from agentsdk.serve.security import ApiKey, KeyRing, hash_key, new_key


def test_a_key_is_kept_as_its_digest_only() -> None:
    key = new_key()
    entry = ApiKey.of("app", key, ["run", "review"]).entry()
    assert key not in json.dumps(entry) and entry["sha256"] == hash_key(key)
    assert entry["scopes"] == ["review", "run"]
    ring = KeyRing((ApiKey(**{**entry, "scopes": frozenset(entry["scopes"])}),))
    found = ring.find(key)
    assert found is not None and found.name == "app"
    assert ring.find(key + "x") is None and ring.find("") is None


def test_a_key_file_round_trips_and_bad_entries_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [ApiKey.of("a", "k1", ["review"], 30).entry()]}))
    ring = KeyRing.load(path)
    assert ring.keys[0].scopes == frozenset({"review"}) and ring.keys[0].per_minute == 30
    path.write_text(json.dumps({"keys": [{"name": "a", "sha256": "short"}]}))
    with pytest.raises(ConfigurationError, match="64 lowercase hex"):
        KeyRing.load(path)
    with pytest.raises(ConfigurationError, match="unknown scopes"):
        ApiKey.of("a", "k", ["admin"])
    with pytest.raises(ConfigurationError, match="cannot read the key file"):
        KeyRing.load(tmp_path / "missing.json")
    with pytest.raises(ConfigurationError, match="same digest"):
        KeyRing((ApiKey.of("a", "k"), ApiKey.of("b", "k")))


def test_the_rate_allows_a_burst_then_refuses_with_the_wait() -> None:
    key = ApiKey.of("app", "k", per_minute=60)  # 1 a second, bursts of 10
    ring = KeyRing((key,))
    waits = [ring.take(key) for _ in range(11)]
    assert waits[:10] == [0.0] * 10
    assert 0.5 < waits[10] <= 1.0
