"""Redaction of exported rows with the SDK's PII rules."""

from __future__ import annotations

from agentsdk.learn.scrub import Scrubber, leaks
from agentsdk.safety.redaction import PIIVault, Redactor

EMAIL, PHONE, IBAN = "jane.doe@example.com", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32"


def test_one_value_keeps_one_placeholder_across_a_thread() -> None:
    scrub = Scrubber(Redactor())
    first = scrub({"content": f"mail {EMAIL} or call {PHONE}"})
    second = scrub([f"{EMAIL}", {"to": IBAN}])
    assert first == {"content": "mail <EMAIL_1> or call <PHONE_1>"}
    assert second == ["<EMAIL_1>", {"to": "<IBAN_1>"}]


def test_keys_and_numbers_that_read_as_pii_are_redacted() -> None:
    scrub = Scrubber(Redactor())
    assert scrub({EMAIL: 4111111111111111, "amount": 15.5, "ok": True, "none": None}) == {
        "<EMAIL_1>": "<CARD_1>",
        "amount": 15.5,
        "ok": True,
        "none": None,
    }
    assert scrub(4111111111111111.0) == "<CARD_1>"


def test_a_run_s_own_vault_keeps_its_placeholders() -> None:
    vault = PIIVault()
    vault.redact(f"{PHONE} then {EMAIL}")  # the model read <PHONE_1> and <EMAIL_1>
    scrub = Scrubber(Redactor(), vault.to_dict())
    assert scrub(f"to {EMAIL}") == "to <EMAIL_1>"
    assert scrub("call +1 415 555 0100") == "call <PHONE_2>"


def test_leaks_finds_what_was_not_redacted() -> None:
    rules = Redactor()
    assert leaks({"a": ["clean", {"b": f"mail {EMAIL}"}]}, rules) == ["email"]
    assert leaks({IBAN: 1}, rules) == ["iban"]
    assert leaks([4111111111111111], rules) == ["card"]
    assert leaks({"a": "<EMAIL_1>", "n": 15.5, "ok": True}, rules) == []


def test_custom_rules_are_kept() -> None:
    rules = Redactor(kinds={"email"})
    rules.add_pattern("employee_id", r"\bEMP-\d{6}\b")
    scrub = Scrubber(rules)
    assert scrub(f"EMP-123456 {EMAIL} {PHONE}") == f"<EMPLOYEE_ID_1> <EMAIL_1> {PHONE}"
