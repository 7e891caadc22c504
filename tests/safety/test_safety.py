"""`agentsdk.safety` gathers redaction, the redacting model and guardrails in one place."""

from __future__ import annotations

import agentsdk.safety
import agentsdk.safety.guardrails
import agentsdk.safety.redacting_model
import agentsdk.safety.redaction

MODULES = (
    agentsdk.safety.redaction,
    agentsdk.safety.redacting_model,
    agentsdk.safety.guardrails,
)


def test_safety_re_exports_redaction_and_guardrails() -> None:
    names = {name for module in MODULES for name in module.__all__}
    assert set(agentsdk.safety.__all__) == names
    for name in names:
        (holder,) = [module for module in MODULES if name in module.__all__]
        assert getattr(agentsdk.safety, name) is getattr(holder, name)


def test_public_names() -> None:
    import agentsdk

    for name in (
        "PIIVault",
        "RedactingModel",
        "Redactor",
        "GuardrailTripped",
        "check_guardrails",
        "find_pii",
    ):
        assert name in agentsdk.__all__
