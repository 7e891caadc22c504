"""Safety in the same layer as perception: PII redaction and guardrails, in one place.

- `agentsdk.safety.redaction`: e-mails, phone numbers, card numbers (Luhn), IBANs (mod-97) and
  national identifiers become reversible placeholders (`PIIVault`) before a remote model
  reads them; `RedactingModel` wraps a chat model so that it reads placeholders only.
- `agentsdk.safety.guardrails`: input/output guardrails that return a verdict; the runner
  decides (the agent raises `GuardrailTripped`).
"""

from __future__ import annotations

from agentsdk.safety.guardrails import (
    INJECTION_PATTERNS,
    Guardrail,
    GuardrailFunction,
    GuardrailStage,
    GuardrailVerdict,
    check_guardrails,
    find_injections,
    guardrail,
    injection_guardrail,
    pii_guardrail,
    pii_output_guardrail,
    tripwire_error,
)
from agentsdk.safety.redacting_model import RedactingModel
from agentsdk.safety.redaction import (
    BUILTIN_KINDS,
    IBAN_LENGTHS,
    PIIFinding,
    PIIPattern,
    PIIVault,
    Redactor,
    find_pii,
    iban_is_valid,
    luhn_is_valid,
)

__all__ = [
    "BUILTIN_KINDS",
    "IBAN_LENGTHS",
    "INJECTION_PATTERNS",
    "Guardrail",
    "GuardrailFunction",
    "GuardrailStage",
    "GuardrailVerdict",
    "PIIFinding",
    "PIIPattern",
    "PIIVault",
    "RedactingModel",
    "Redactor",
    "check_guardrails",
    "find_injections",
    "find_pii",
    "guardrail",
    "iban_is_valid",
    "injection_guardrail",
    "luhn_is_valid",
    "pii_guardrail",
    "pii_output_guardrail",
    "tripwire_error",
]
