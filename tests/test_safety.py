"""`agentsdk.safety` gathers redaction and guardrails in one place."""

from __future__ import annotations

import agentsdk.guardrails
import agentsdk.redaction
import agentsdk.safety


def test_safety_re_exports_redaction_and_guardrails() -> None:
    names = set(agentsdk.redaction.__all__) | set(agentsdk.guardrails.__all__)
    assert set(agentsdk.safety.__all__) == names
    for name in names:
        assert getattr(agentsdk.safety, name) is (
            getattr(agentsdk.redaction, name, None) or getattr(agentsdk.guardrails, name)
        )


def test_public_names() -> None:
    import agentsdk

    for name in ("PIIVault", "Redactor", "GuardrailTripped", "check_guardrails", "find_pii"):
        assert name in agentsdk.__all__
