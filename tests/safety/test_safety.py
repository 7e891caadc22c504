"""`agentsdk.safety` gathers redaction and guardrails in one place."""

from __future__ import annotations

import agentsdk.safety
import agentsdk.safety.guardrails
import agentsdk.safety.redaction


def test_safety_re_exports_redaction_and_guardrails() -> None:
    names = set(agentsdk.safety.redaction.__all__) | set(agentsdk.safety.guardrails.__all__)
    assert set(agentsdk.safety.__all__) == names
    for name in names:
        assert getattr(agentsdk.safety, name) is (
            getattr(agentsdk.safety.redaction, name, None)
            or getattr(agentsdk.safety.guardrails, name)
        )


def test_public_names() -> None:
    import agentsdk

    for name in ("PIIVault", "Redactor", "GuardrailTripped", "check_guardrails", "find_pii"):
        assert name in agentsdk.__all__
