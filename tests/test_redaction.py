"""PII redaction: detectors, checksums, the vault."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from agentsdk import errors
from agentsdk.encoders.base import Observation
from agentsdk.messages import Message, ToolCall
from agentsdk.redaction import (
    IBAN_LENGTHS,
    PIIFinding,
    PIIVault,
    Redactor,
    find_pii,
    iban_is_valid,
    luhn_is_valid,
)


def kinds(text: str, redactor: Redactor | None = None) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in find_pii(text, redactor=redactor)]


# -- e-mail --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "john.doe@example.com",
        "a@b.io",
        "first+tag@sub.domain.co.uk",
        "x_y-z%1@mail-server.example.org",
        "UPPER@EXAMPLE.COM",
    ],
)
def test_email_found(email: str) -> None:
    assert kinds(f"write to {email}, thanks") == [("email", email)]


@pytest.mark.parametrize(
    "text",
    ["user@localhost", "@handle on social", "a@b", "price 5 @ 3 each", "foo@.com", "@example.com"],
)
def test_not_an_email(text: str) -> None:
    assert kinds(text) == []


def test_email_sentence_end_is_not_part_of_it() -> None:
    assert kinds("Mail me: anna@example.org.") == [("email", "anna@example.org")]


# -- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (555) 123-4567",
        "+1 (555)123-4567",
        "+1-800-555-0199",
        "+44 20 7946 0958",
        "+33 1 23 45 67 89",
        "+49 30 1234567",
        "+91 98765 43210",
        "+14155552671",
        "0044 20 7946 0958",
        "(555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "555 123 4567",
        "020 7946 0958",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "612 345 678",
        "555-1234",
    ],
)
def test_phone_found(phone: str) -> None:
    assert kinds(f"call {phone} today") == [("phone", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "on 2024-01-15 at noon",
        "on 15.01.2024",
        "on 01/15/2024",
        "at 12:30:45",
        "on 15.01.2024 10:30",
        "2024-01-15T10:30:00",
        "2024-01-15 10:30",
        "it costs $12.50",
        "it costs $1,234,567",
        "it costs € 1 234 567",
        "1 234 567 EUR",
        "1.234.567,89 EUR",
        "1,234,567.89",
        "12 345 678 units",
        "1.234.567 units",
        "99.5% sure",
        "in 2024",
        "from 1990-2000",
        "order #123456789",
        "Order no. 1234-5678",
        "Invoice: 2024-001234",
        "ref 555-123-4567",
        "5551234567",
        "ZIP 12345-6789",
        "host 192.168.1.1",
        "pi is 3.14159265",
        "version 1.2.3.4567",
        "call 555-12",
        "123456",
    ],
)
def test_not_a_phone(text: str) -> None:
    assert kinds(text) == []


def test_phone_glued_to_letters_is_not_a_phone() -> None:
    assert kinds("SKU AB555-123-4567X") == []


def test_more_than_fifteen_digits_is_not_a_phone() -> None:
    assert kinds("+1 555 123 4567 8901 2345") == []


# -- card ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",  # Visa, spaces
        "4111-1111-1111-1111",  # dashes
        "4111111111111111",  # compact
        "5500 0000 0000 0004",  # Mastercard
        "3782 822463 10005",  # Amex, 15 digits, 4-6-5
        "6011111111111117",  # Discover
        "3056 930902 5904",  # Diners, 14 digits
        "4222222222222",  # 13 digits
        "6304 0000 0000 0000 018",  # 19 digits
    ],
)
def test_card_found(card: str) -> None:
    assert luhn_is_valid(card)
    assert kinds(f"card {card}, exp soon") == [("card", card)]


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1234 5678 9012 3456",  # Luhn fails
        "4111111111111121",
        "0000 0000 0000 0000",  # passes Luhn, but all one digit
        "411111111111",  # 12 digits: too short
        "41111111111111111111",  # 20 digits: too long
        "41 11 11 11 11 11 11 11",  # groups of two are not how cards are written
    ],
)
def test_not_a_card(number: str) -> None:
    assert kinds(f"number {number} here") == []


def test_card_followed_by_expiry_is_found() -> None:
    assert kinds("4111 1111 1111 1111 12/25") == [("card", "4111 1111 1111 1111")]


def test_luhn() -> None:
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")
    assert not luhn_is_valid("")


# -- IBAN ----------------------------------------------------------------------------------

VALID_IBANS = [
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "GB82WEST12345698765432",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "BE68 5390 0754 7034",
    "CH93 0076 2011 6238 5295 7",
    "NO93 8601 1117 947",
    "AT61 1904 3002 3457 3201",
    "PL61 1090 1014 0000 0712 1981 2874",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_iban_found(iban: str) -> None:
    assert iban_is_valid(iban)
    assert kinds(f"pay to {iban}. Thanks") == [("iban", iban)]


@pytest.mark.parametrize(
    "text",
    [
        "DE88 3704 0044 0532 0130 00",  # check digits wrong
        "GB82 WEST 1234 5698 7654 33",  # one digit changed
        "NL91 ABNA 0417 1643 01",
        "DE89 3704 0044 0532 0130 0",  # one character short for DE
        "XX89 3704 0044 0532 0130 00",  # not a country in the registry
        "FR14 2004 1010 0505 0001 3M02 60",
    ],
)
def test_not_an_iban(text: str) -> None:
    assert not iban_is_valid(text)
    assert "iban" not in [k for k, _ in kinds(text)]


def test_iban_followed_by_words_is_cut_at_the_country_length() -> None:
    assert kinds("BE68 5390 0754 7034 from here") == [("iban", "BE68 5390 0754 7034")]


def test_two_ibans_in_a_row() -> None:
    text = "BE68 5390 0754 7034 NL91 ABNA 0417 1643 00"
    assert kinds(text) == [("iban", "BE68 5390 0754 7034"), ("iban", "NL91 ABNA 0417 1643 00")]


def test_iban_lowercase_and_length_table() -> None:
    assert iban_is_valid("de89370400440532013000")
    assert IBAN_LENGTHS["DE"] == 22 and IBAN_LENGTHS["NO"] == 15 and IBAN_LENGTHS["MT"] == 31


# -- finding, overlaps, configuration ------------------------------------------------------


def test_find_pii_offsets() -> None:
    text = "mail a@b.io now"
    assert find_pii(text) == [PIIFinding("email", 5, 11, "a@b.io")]


def test_iban_wins_over_the_card_and_phone_inside_it() -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00"
    assert kinds(text) == [("iban", "DE89 3704 0044 0532 0130 00")]


def test_email_wins_over_a_phone_inside_it() -> None:
    assert kinds("555-123-4567@example.com") == [("email", "555-123-4567@example.com")]


def test_kinds_can_be_chosen() -> None:
    text = "a@b.io, +44 20 7946 0958, 4111 1111 1111 1111"
    only_email = Redactor(kinds={"email"})
    assert kinds(text, only_email) == [("email", "a@b.io")]
    no_phone = Redactor(kinds={"email", "card", "iban"})
    assert [k for k, _ in kinds(text, no_phone)] == ["email", "card"]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(errors.ConfigurationError, match="ssn"):
        Redactor(kinds={"email", "ssn"})


def test_custom_pattern_with_validator() -> None:
    redactor = Redactor()
    redactor.add_pattern("employee_id", r"\bEMP-\d{6}\b", lambda value: not value.endswith("0"))
    text = "EMP-123456 and EMP-999990 wrote to a@b.io"
    assert kinds(text, redactor) == [("employee_id", "EMP-123456"), ("email", "a@b.io")]
    vault = PIIVault(redactor)
    assert vault.redact(text) == "<EMPLOYEE_ID_1> and EMP-999990 wrote to <EMAIL_1>"
    assert vault.restore(vault.redact(text)) == text


def test_custom_pattern_wins_over_phone() -> None:
    redactor = Redactor()
    redactor.add_pattern("ssn", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"))
    assert kinds("SSN 123-45-6789", redactor) == [("ssn", "123-45-6789")]
    assert kinds("SSN 123-45-6789") == [("phone", "123-45-6789")]


@pytest.mark.parametrize(
    ("name", "pattern"),
    [("Employee", r"x"), ("email", r"x"), ("has space", r"x"), ("ok_name", r"(")],
)
def test_custom_pattern_refused(name: str, pattern: str) -> None:
    with pytest.raises(errors.ConfigurationError):
        Redactor().add_pattern(name, pattern)


def test_custom_pattern_name_must_be_unique() -> None:
    redactor = Redactor()
    redactor.add_pattern("badge", r"B\d{4}")
    with pytest.raises(errors.ConfigurationError, match="already"):
        redactor.add_pattern("badge", r"C\d{4}")


# -- the vault -----------------------------------------------------------------------------

TEXT = (
    "Hi, I'm Ana (ana.silva@example.com, +351 912 345 678). Refund to PT50 0002 0123 "
    "1234 5678 9015 4 or card 4111-1111-1111-1111. Again: ana.silva@example.com. "
    "Meeting 2024-05-01 at 10:30, budget $1,250.00, order #884213."
)


def test_redact_replaces_every_kind_and_nothing_else() -> None:
    vault = PIIVault()
    redacted = vault.redact(TEXT)
    assert redacted == (
        "Hi, I'm Ana (<EMAIL_1>, <PHONE_1>). Refund to <IBAN_1> or card <CARD_1>. "
        "Again: <EMAIL_1>. Meeting 2024-05-01 at 10:30, budget $1,250.00, order #884213."
    )
    assert vault.mapping == {
        "<EMAIL_1>": "ana.silva@example.com",
        "<PHONE_1>": "+351 912 345 678",
        "<IBAN_1>": "PT50 0002 0123 1234 5678 9015 4",
        "<CARD_1>": "4111-1111-1111-1111",
    }


def test_round_trip_restores_the_original() -> None:
    vault = PIIVault()
    assert vault.restore(vault.redact(TEXT)) == TEXT


def test_same_value_same_placeholder_across_texts_different_values_numbered() -> None:
    vault = PIIVault()
    assert vault.redact("a@b.io and c@d.io") == "<EMAIL_1> and <EMAIL_2>"
    assert vault.redact("later: c@d.io, e@f.io, a@b.io") == "later: <EMAIL_2>, <EMAIL_3>, <EMAIL_1>"
    assert len(vault) == 3


def test_redaction_is_idempotent() -> None:
    vault = PIIVault()
    once = vault.redact(TEXT)
    assert vault.redact(once) == once
    assert find_pii(once) == []
    assert len(vault) == 4


def test_placeholders_are_never_redacted_even_by_a_greedy_custom_pattern() -> None:
    redactor = Redactor()
    redactor.add_pattern("code", r"[A-Z]+_\d+")  # would match the inside of <EMAIL_1>
    vault = PIIVault(redactor)
    once = vault.redact("a@b.io and ABC_12")
    assert once == "<EMAIL_1> and <CODE_1>"
    assert vault.redact(once) == once
    assert find_pii(once, redactor=redactor) == []


def test_text_without_pii_is_untouched() -> None:
    vault = PIIVault()
    text = "Nothing to see: 2 apples cost $3.50 on 2024-02-29."
    assert vault.redact(text) == text
    assert len(vault) == 0


def test_restore_leaves_unknown_placeholders() -> None:
    vault = PIIVault()
    vault.redact("a@b.io")
    assert vault.restore("<EMAIL_1> <EMAIL_7> <PHONE_1> <email_1>") == (
        "a@b.io <EMAIL_7> <PHONE_1> <email_1>"
    )


def test_literal_placeholder_in_the_input_is_not_reused() -> None:
    vault = PIIVault()
    redacted = vault.redact("the template says <EMAIL_1>; mine is a@b.io")
    assert redacted == "the template says <EMAIL_1>; mine is <EMAIL_2>"
    assert vault.restore(redacted) == "the template says <EMAIL_1>; mine is a@b.io"


def test_restore_value_in_nested_tool_arguments() -> None:
    vault = PIIVault()
    vault.redact("a@b.io +44 20 7946 0958 DE89 3704 0044 0532 0130 00")
    arguments: dict[str, Any] = {
        "to": "<EMAIL_1>",
        "cc": ["<EMAIL_1>", "boss <EMAIL_9>"],
        "payment": {"iban": "<IBAN_1>", "amount": 12.5, "urgent": True, "note": None},
        "pair": ("<PHONE_1>", 3),
    }
    assert vault.restore_value(arguments) == {
        "to": "a@b.io",
        "cc": ["a@b.io", "boss <EMAIL_9>"],
        "payment": {
            "iban": "DE89 3704 0044 0532 0130 00",
            "amount": 12.5,
            "urgent": True,
            "note": None,
        },
        "pair": ("+44 20 7946 0958", 3),
    }
    assert arguments["to"] == "<EMAIL_1>"  # the input is not modified


def test_redact_value_then_restore_value() -> None:
    vault = PIIVault()
    result = {"rows": [{"email": "a@b.io", "n": 1}, {"email": "c@d.io", "n": 2}]}
    redacted = vault.redact_value(result)
    assert redacted == {"rows": [{"email": "<EMAIL_1>", "n": 1}, {"email": "<EMAIL_2>", "n": 2}]}
    assert vault.restore_value(redacted) == result


def test_messages_and_tool_calls() -> None:
    vault = PIIVault()
    call = ToolCall("send_email", {"to": "a@b.io", "body": "hi"}, id="call_1")
    message = Message.assistant("mailing a@b.io", [call])
    redacted = vault.redact_message(message)
    assert redacted.content == "mailing <EMAIL_1>"
    assert redacted.tool_calls[0].arguments == {"to": "<EMAIL_1>", "body": "hi"}
    assert redacted.tool_calls[0].id == "call_1"
    from_model = ToolCall("send_email", {"to": "<EMAIL_1>"}, id="call_2")
    assert vault.restore_tool_call(from_model) == ToolCall(
        "send_email", {"to": "a@b.io"}, id="call_2"
    )


def test_redact_observation() -> None:
    observation = Observation(
        kind="ocr",
        text="Contact: a@b.io",
        confidence=0.9,
        encoder="ocr",
        model="m",
        part_id="p",
        details={"lines": [{"text": "Contact: a@b.io", "box": [0, 0, 1, 1]}]},
    )
    redacted = PIIVault().redact_observation(observation)
    assert redacted.text == "Contact: <EMAIL_1>"
    assert redacted.details == {"lines": [{"text": "Contact: <EMAIL_1>", "box": [0, 0, 1, 1]}]}
    assert redacted.part_id == "p"


def test_vault_json_round_trip_keeps_numbering() -> None:
    vault = PIIVault()
    redacted = vault.redact(TEXT)
    saved = json.loads(json.dumps(vault.to_dict()))
    loaded = PIIVault.from_dict(saved)
    assert loaded.mapping == vault.mapping
    assert loaded.restore(redacted) == TEXT
    assert loaded.redact("ana.silva@example.com or new@example.com") == "<EMAIL_1> or <EMAIL_2>"


def test_vault_from_dict_refuses_garbage() -> None:
    with pytest.raises(errors.ConfigurationError):
        PIIVault.from_dict({"placeholders": {}})
    with pytest.raises(errors.ConfigurationError):
        PIIVault.from_dict({"version": 1, "placeholders": {"EMAIL_1": "a@b.io"}})


def test_vault_from_dict_with_a_custom_redactor() -> None:
    redactor = Redactor(kinds={"email"})
    loaded = PIIVault.from_dict({"version": 1, "placeholders": {}}, redactor=redactor)
    assert loaded.redact("a@b.io +44 20 7946 0958") == "<EMAIL_1> +44 20 7946 0958"
