"""PII redaction: detectors, checksums, the vault."""

# Fullwidth digits, letters and CJK punctuation below are the point of the tests.
# ruff: noqa: RUF001

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

import phonenumbers
import pytest
from stdnum import iban as stdnum_iban
from stdnum import luhn, verhoeff
from stdnum.br import cpf
from stdnum.cn import ric
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale

from agentsdk import errors
from agentsdk.encoders.base import Observation
from agentsdk.messages import Message, ToolCall
from agentsdk.safety.redaction import (
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
    redactor.add_pattern("badge", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"))
    # 900-12-3456 is no SSN (areas 9xx are never issued), so by default it is a phone.
    assert kinds("badge 900-12-3456", redactor) == [("badge", "900-12-3456")]
    assert kinds("badge 900-12-3456") == [("phone", "900-12-3456")]


def test_national_id_wins_over_custom_pattern_and_phone() -> None:
    redactor = Redactor()
    redactor.add_pattern("ssn", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"))
    assert kinds("SSN 123-45-6789", redactor) == [("national_id", "123-45-6789")]
    assert kinds("SSN 123-45-6789", Redactor(kinds={"phone"})) == [("phone", "123-45-6789")]


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


# -- formats from the field: CJK text, fullwidth, national formats, national ids -----------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("请拨打13812345678联系我", "phone", "13812345678"),
        ("手机：13812345678", "phone", "13812345678"),
        ("手机：１３８１２３４５６７８。", "phone", "１３８１２３４５６７８"),
        ("Telefon 030/1234567", "phone", "030/1234567"),
        ("Ruf an: 0171 2345678", "phone", "0171 2345678"),
        ("携帯：０９０－１２３４－５６７８", "phone", "０９０－１２３４－５６７８"),
        ("Llámame al 612 34 56 78", "phone", "612 34 56 78"),
        ("Tel.: +49 (0)30 1234567", "phone", "+49 (0)30 1234567"),
        ("card 4111.1111.1111.1111 exp 09/27", "card", "4111.1111.1111.1111"),
        ("card 4111 11111111 1111", "card", "4111 11111111 1111"),
        ("卡号４１１１１１１１１１１１１１１１", "card", "４１１１１１１１１１１１１１１１"),
        ("IBAN DE89-3704-0044-0532-0130-00", "iban", "DE89-3704-0044-0532-0130-00"),
        ("IBAN DE89 37040044 0532013000.", "iban", "DE89 37040044 0532013000"),
        ("Mail jürgen@müller-beispiel.de, danke", "email", "jürgen@müller-beispiel.de"),
        ("邮箱：ｌｉ．ｎａ＠ｅｘａｍｐｌｅ．ｃｎ", "email", "ｌｉ．ｎａ＠ｅｘａｍｐｌｅ．ｃｎ"),
        ("请发邮件到zhang.wei@example.cn谢谢", "email", "zhang.wei@example.cn"),
        ("身份证号码：11010519491231002X", "national_id", "11010519491231002X"),
        ("My SSN is 123-45-6789.", "national_id", "123-45-6789"),
        (
            "NI number QQ 12 34 56 C is a specimen; AB 12 34 56 C is not",
            "national_id",
            "AB 12 34 56 C",
        ),
        ("NIR : 1 84 12 76 451 089 46", "national_id", "1 84 12 76 451 089 46"),
        ("DNI 12.345.678-Z", "national_id", "12.345.678-Z"),
        ("NIE X1234567L", "national_id", "X1234567L"),
        ("Codice fiscale RSSMRA85T10A562S", "national_id", "RSSMRA85T10A562S"),
        ("Aadhaar 2345 6789 0124", "national_id", "2345 6789 0124"),
        ("PAN ABCPE1234F", "national_id", "ABCPE1234F"),
        ("CPF 390.533.447-05", "national_id", "390.533.447-05"),
        ("Steuer-ID: 86095742719", "national_id", "86095742719"),
    ],
)
def test_field_formats_are_found(text: str, kind: str, value: str) -> None:
    assert kinds(text) == [(kind, value)]
    vault = PIIVault()
    assert vault.restore(vault.redact(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "SSN 900-12-3456",  # area 9xx: no SSN, and a phone at most
        "身份证号码：110105194912310021",  # check digit wrong
        "DNI 12345678A",  # letter wrong
        "Steuer-ID 12345678901",  # fails the check
        "Aadhaar 1234 5678 9012",  # Aadhaar never starts with 0 or 1
        "CPF 390.533.447-06",  # check digits wrong
        "4111.1111.1111.1112",  # Luhn fails
        "DE89-3704-0044-0532-0130-01",  # mod-97 fails
        "customer 12345678901 ordered",  # 11 digits with no name of an identifier
        "7111 1111 1111 1111 11",  # passes Luhn, but 7 starts no card
    ],
)
def test_invalid_identifiers_are_not_national_ids_or_cards(text: str) -> None:
    assert [k for k, _ in kinds(text) if k in {"national_id", "card", "iban"}] == []


@pytest.mark.parametrize(
    "text",
    [
        "Summe EUR 25,45  Gegeben 50,00",
        "3 x 2.50  7.50",
        "订单号：202403150001",
        "合计：¥258.00 2024年3月15日",
        "Invoice INV-2024-000381",
        "Ordine n. 20240315-0042",
        "Av. Paulista 1000, São Paulo - SP, 01310-100",
        "Partita IVA 01234567890",
        "Release 4.12.0 on 2024-04-22, build 20240422.3",
        "Transaktion 302-4471932-1187",
    ],
)
def test_receipt_numbers_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_fullwidth_value_is_restored_exactly() -> None:
    text = "电话：１３８１２３４５６７８，邮箱：ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ"
    vault = PIIVault()
    redacted = vault.redact(text)
    assert redacted == "电话：<PHONE_1>，邮箱：<EMAIL_1>"
    assert vault.mapping == {
        "<PHONE_1>": "１３８１２３４５６７８",
        "<EMAIL_1>": "ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ",
    }
    assert vault.restore(redacted) == text


def test_combining_accents_and_offsets_map_back() -> None:
    text = "Jose\u0301 (jose\u0301@correo.es) 📞 +34 612 34 56 78"
    found = find_pii(text)
    assert [(f.kind, f.value) for f in found] == [
        ("email", "jose\u0301@correo.es"),
        ("phone", "+34 612 34 56 78"),
    ]
    assert all(text[f.start : f.end] == f.value for f in found)


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


# -- measured: recall on generated identifiers, false positives on clean text -------------
#
# Every value below is generated here with its check digits computed by stdnum (or by
# phonenumbers for phones), in the formats people write, and embedded in a sentence of
# its language. The corpus is seeded, so the measured numbers are stable.

Sample = tuple[str, str, str, str]  # (kind, country, value, sentence)


def _fullwidth(value: str) -> str:
    """The value typed with a CJK input method: fullwidth digits, letters, @ and dots."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


def _digits_of(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(n - 1))


# Sentences per (language, kind); {v} is the value.
SENTENCES: dict[tuple[str, str], list[str]] = {
    ("zh", "phone"): ["请拨打我的手机{v}联系我。", "联系电话：{v}", "如有问题请致电 {v} 谢谢"],
    ("zh", "email"): ["请发邮件到{v}谢谢", "我的邮箱是 {v}，随时联系。"],
    ("zh", "card"): ["我的银行卡号是{v}，请退款。", "信用卡：{v}"],
    ("zh", "iban"): ["请汇款到账户 {v}。"],
    ("zh", "national_id"): ["身份证号码：{v}", "我的身份证号是{v}，请核对。"],
    ("de", "phone"): ["Rufen Sie mich unter {v} an.", "Telefon: {v}", "Tel. {v} (Mo-Fr 9-17 Uhr)"],
    ("de", "email"): ["Schreiben Sie an {v}, danke.", "Meine E-Mail-Adresse lautet {v}."],
    ("de", "card"): ["Bitte belasten Sie meine Kreditkarte {v}.", "Karte: {v}, gültig bis 09/27"],
    ("de", "iban"): ["Bitte überweisen Sie auf {v}.", "IBAN: {v}, BIC folgt."],
    ("de", "national_id"): [
        "Meine Steuer-ID lautet {v}.",
        "Steuerliche Identifikationsnummer: {v}",
    ],
    ("fr", "phone"): ["Appelez-moi au {v} demain.", "Tél. : {v}", "Mon portable : {v}"],
    ("fr", "email"): ["Écrivez-moi à {v} s'il vous plaît.", "Courriel : {v}"],
    ("fr", "card"): ["Ma carte bancaire est la {v}.", "Carte n° {v}"],
    ("fr", "iban"): ["Virement sur le compte {v} svp."],
    ("fr", "national_id"): ["Mon numéro de sécurité sociale est {v}.", "NIR : {v}"],
    ("es", "phone"): ["Llámame al {v} por la tarde.", "Teléfono: {v}"],
    ("es", "email"): ["Escríbeme a {v} cuando puedas.", "Correo: {v}"],
    ("es", "card"): ["Pague con la tarjeta {v}, por favor."],
    ("es", "iban"): ["Transfiera el importe a la cuenta {v}."],
    ("es-dni", "national_id"): ["Mi DNI es {v} y vivo en Madrid.", "DNI: {v}"],
    ("es-nie", "national_id"): ["NIE: {v}", "Mi número de extranjero es {v}."],
    ("it", "phone"): ["Chiamami al numero {v} dopo le sei.", "Cellulare: {v}"],
    ("it", "email"): ["Scrivimi a {v} per conferma."],
    ("it", "card"): ["Addebitate sulla carta {v}."],
    ("it", "iban"): ["Bonifico sul conto {v}, grazie."],
    ("it", "national_id"): ["Il mio codice fiscale è {v}.", "Codice fiscale: {v}"],
    ("en", "phone"): ["Call me at {v} after six.", "Phone: {v}", "You can reach me on {v}."],
    ("en", "email"): ["Please email {v} with the details.", "Contact: {v}"],
    ("en", "card"): ["Charge it to my card {v}, thanks.", "Card number: {v}"],
    ("en", "iban"): ["Please pay into {v} by Friday."],
    ("en-ssn", "national_id"): ["My SSN is {v}.", "Social Security number: {v}"],
    ("en-nino", "national_id"): ["National Insurance number: {v}", "My NI number is {v}."],
    ("pt", "phone"): ["Me liga no {v} amanhã.", "Celular: {v}"],
    ("pt", "email"): ["Mande para {v}, obrigado."],
    ("pt", "card"): ["Pague com o cartão {v}."],
    ("pt", "iban"): ["Transferência para {v}, por favor."],
    ("pt", "national_id"): ["Meu CPF é {v}.", "CPF: {v}"],
    ("hi", "phone"): ["कृपया मुझे {v} पर कॉल करें।", "Mobile: {v}"],
    ("hi", "email"): ["मुझे {v} पर ईमेल करें।"],
    ("hi-aadhaar", "national_id"): ["मेरा आधार नंबर {v} है।", "Aadhaar: {v}"],
    ("hi-pan", "national_id"): ["PAN: {v}", "मेरा पैन {v} है।"],
    ("ja", "phone"): ["電話番号は{v}です。", "携帯：{v}"],
    ("ja", "email"): ["メールは {v} までお願いします。"],
}


def _sentence(rng: random.Random, language: str, kind: str, value: str) -> str:
    return rng.choice(SENTENCES[(language, kind)]).format(v=value)


def _phone_samples(rng: random.Random) -> list[tuple[str, str, str]]:
    """(country, language, value): valid numbers of ten regions in their usual formats."""
    national = phonenumbers.PhoneNumberFormat.NATIONAL
    international = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    e164 = phonenumbers.PhoneNumberFormat.E164
    regions = {"CN": "zh", "DE": "de", "FR": "fr", "ES": "es", "IT": "it", "GB": "en"}
    regions |= {"US": "en", "BR": "pt", "IN": "hi", "JP": "ja"}
    samples: list[tuple[str, str, str]] = []
    for region, language in regions.items():
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            assert example is not None
            for attempt in range(1000):  # the example with other last digits, while valid
                digits = phonenumbers.national_significant_number(example)
                changed = 4 if attempt < 100 else 7  # 555-01xx: change the exchange too
                digits = digits[:-changed] + _digits_of(rng, changed)
                number = phonenumbers.parse("+" + str(example.country_code) + digits)
                if phonenumbers.is_valid_number(number):
                    break
            text = phonenumbers.format_number(number, national)
            formats = [text, phonenumbers.format_number(number, international)]
            formats.append(phonenumbers.format_number(number, e164))
            formats.append("00" + formats[-1][1:])
            if kind == phonenumbers.PhoneNumberType.MOBILE:
                formats.append(re.sub(r"\D", "", text))  # a bare run of digits
            samples += [(region, language, value) for value in formats]
    german = phonenumbers.parse("+49 30 " + _digits_of(rng, 7, "123456789"))
    area, rest = phonenumbers.format_number(german, national).split(" ", 1)
    samples.append(("DE", "de", f"{area}/{rest}"))  # 030/1234567
    samples.append(("DE", "de", f"({area}) {rest}"))
    samples.append(("DE", "de", "+49 (0)" + area[1:] + " " + rest))
    samples.append(("FR", "fr", "06." + ".".join(_digits_of(rng, 2) for _ in range(4))))
    cn = "13" + _digits_of(rng, 9)
    while not phonenumbers.is_valid_number(phonenumbers.parse(cn, "CN")):
        cn = "13" + _digits_of(rng, 9)
    samples += [("CN", "zh", _fullwidth(cn)), ("CN", "zh", f"{cn[:3]}-{cn[3:7]}-{cn[7:]}")]
    samples.append(("US", "en", f"({rng.randint(201, 989)}) 555-{_digits_of(rng, 4)}"))
    return samples


def _email_samples(rng: random.Random) -> list[tuple[str, str, str]]:
    """ASCII, IDN (Unicode domain), EAI (Unicode local part) and fullwidth addresses."""
    people = {
        "zh": ["li.na", "zhang.wei", "wang_fang88"],
        "de": ["jonas.mueller", "k.schmidt"],
        "fr": ["marie.dupont", "luc+factures"],
        "es": ["pedro.garcia", "ana-lopez"],
        "it": ["giulia.rossi", "m.bianchi"],
        "en": ["john.smith", "sarah_o-connor"],
        "pt": ["joao.silva", "maria.souza"],
        "hi": ["rahul.sharma"],
        "ja": ["tanaka.hiroshi"],
    }
    domains = ["example.com", "mail.example.org", "example.co.uk", "firma-example.de"]
    samples = [
        (language, language, f"{name}{rng.randint(1, 99)}@{rng.choice(domains)}")
        for language, names in people.items()
        for name in names
    ]
    samples += [
        ("de", "de", "jürgen@müller-beispiel.de"),
        ("es", "es", "josé.garcía@correo.es"),
        ("fr", "fr", "françois@exemple.fr"),
        ("zh", "zh", "用户@例子.广告"),
        ("zh", "zh", _fullwidth("chen.jie@example.cn")),
        ("ja", "ja", _fullwidth("sato@example.jp")),
        ("hi", "hi", "राहुल@उदाहरण.भारत"),
    ]
    return samples


def _card_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + _digits_of(rng, length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def _card_samples(rng: random.Random) -> list[str]:
    """Visa, Mastercard, Amex, Discover, JCB and UnionPay, grouped in the usual ways."""
    samples: list[str] = []
    for prefix, length in [("4", 16), ("51", 16), ("2221", 16), ("6011", 16), ("35", 16)]:
        number = _card_number(rng, prefix, length)
        fours = [number[i : i + 4] for i in range(0, 16, 4)]
        samples += [" ".join(fours), "-".join(fours), ".".join(fours), number]
        samples.append(f"{number[:4]} {number[4:12]} {number[12:]}")  # uneven groups
    amex = _card_number(rng, "37", 15)
    samples += [f"{amex[:4]} {amex[4:10]} {amex[10:]}", amex]
    unionpay = _card_number(rng, "62", 19)
    samples += [f"{unionpay[:6]} {unionpay[6:]}", unionpay, _fullwidth(unionpay)]
    return samples


# BBAN structures (stdnum's registry notation): n digits, a capitals, c alphanumerics.
BBANS = {
    "DE": "8n10n", "FR": "5n5n11n2n", "ES": "4n4n1n1n10n", "IT": "1a5n5n12n", "GB": "4a6n8n",
    "NL": "4a10n", "BE": "3n7n2n", "AT": "5n11n", "CH": "5n12n", "PL": "8n16n", "PT": "21n",
    "BR": "8n5n10n1a1c",
}  # fmt: skip


def _iban(rng: random.Random, country: str) -> str:
    alphabet = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    alphabet["c"] = alphabet["n"] + alphabet["a"]
    bban = "".join(
        "".join(rng.choice(alphabet[kind]) for _ in range(int(size)))
        for size, kind in re.findall(r"(\d+)([nac])", BBANS[country])
    )
    number = country + "00" + bban
    number = country + stdnum_iban.calc_check_digits(number) + bban
    assert iban_is_valid(number)
    return number


def _iban_samples(rng: random.Random) -> list[str]:
    """Compact, in fours, with dashes, and grouped as bank code and account."""
    samples: list[str] = []
    for country in BBANS:
        number = _iban(rng, country)
        fours = stdnum_iban.format(number)
        samples += [number, fours, fours.replace(" ", "-")]
    german = _iban(rng, "DE")
    samples.append(f"{german[:4]} {german[4:12]} {german[12:]}")  # DE89 37040044 0532013000
    samples.append(stdnum_iban.format(_iban(rng, "NL")).lower())
    return samples


def _ric(rng: random.Random) -> str:
    """A resident ID of a county that existed at the birth date (stdnum checks both)."""
    while True:
        county = rng.choice(["110101", "310104", "440305", "510104", "330106", "420102"])
        birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = county + birth + _digits_of(rng, 3)
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number


def _nir(rng: random.Random) -> str:
    department = rng.choice([d for d in range(1, 96) if d != 20])  # 20 is 2A or 2B
    body = f"{rng.choice('12')}{rng.randint(40, 99)}{rng.randint(1, 12):02d}{department:02d}"
    body += f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return body + nir.calc_check_digits(body)


def _codice_fiscale(rng: random.Random) -> str:
    letters = "".join(rng.choice("BCDFGLMNPRSTVZ") for _ in range(6))
    month = rng.choice("ABCDEHLMPRST")
    day = rng.randint(1, 28) + rng.choice([0, 40])
    body = (
        f"{letters}{rng.randint(50, 99)}{month}{day:02d}{rng.choice('ABFHLM')}{_digits_of(rng, 3)}"
    )
    return body + codicefiscale.calc_check_digit(body)


def _steuer_id(rng: random.Random) -> str:
    digits = rng.sample("0123456789", 9)
    while digits[0] == "0":
        rng.shuffle(digits)
    digits.insert(rng.randint(1, 9), rng.choice(digits))  # one digit twice
    body = "".join(digits)
    return body + mod_11_10.calc_check_digit(body)


def _cpf(rng: random.Random) -> str:
    body = _digits_of(rng, 9, "123456789")
    return next(body + f"{d:02d}" for d in range(100) if cpf.is_valid(body + f"{d:02d}"))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _one_of_each_id(rng: random.Random) -> list[tuple[str, str, str]]:
    """(country, sentence key, value): one identifier of each scheme, in its formats."""
    number = _ric(rng)
    samples = [("CN", "zh", number), ("CN", "zh", f"{number[:6]} {number[6:14]} {number[14:]}")]
    ssn_ = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    samples += [("US", "en-ssn", v) for v in (ssn_, ssn_.replace("-", " "), ssn_.replace("-", ""))]
    nino = rng.choice("ABCEHJKLMPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")
    nino += _digits_of(rng, 6) + rng.choice("ABCD")
    spaced = " ".join([nino[:2], nino[2:4], nino[4:6], nino[6:8], nino[8]])
    samples += [("GB", "en-nino", nino), ("GB", "en-nino", spaced)]
    number = _nir(rng)
    spaced = " ".join([number[0], number[1:3], number[3:5], number[5:7], number[7:10]])
    samples += [("FR", "fr", number), ("FR", "fr", f"{spaced} {number[10:13]} {number[13:]}")]
    body = _digits_of(rng, 8)
    number = body + dni.calc_check_digit(body)
    dotted = f"{body[:2]}.{body[2:5]}.{body[5:]}-{number[-1]}"
    samples += [("ES", "es-dni", number), ("ES", "es-dni", dotted)]
    body = rng.choice("XYZ") + _digits_of(rng, 7)
    samples.append(("ES", "es-nie", body + nie.calc_check_digit(body)))
    number = _codice_fiscale(rng)
    samples += [("IT", "it", number), ("IT", "it", number.lower())]
    body = _digits_of(rng, 11, "23456789")
    number = body + verhoeff.calc_check_digit(body)
    grouped = f"{number[:4]} {number[4:8]} {number[8:]}"
    samples += [("IN", "hi-aadhaar", grouped), ("IN", "hi-aadhaar", number)]
    letters = "".join(rng.choice(_LETTERS) for _ in range(5))
    samples.append(
        ("IN", "hi-pan", letters[:3] + "P" + letters[3] + _digits_of(rng, 4) + letters[4])
    )
    number = _cpf(rng)
    samples += [("BR", "pt", cpf.format(number)), ("BR", "pt", number)]
    number = _steuer_id(rng)
    samples += [("DE", "de", idnr.format(number)), ("DE", "de", number)]
    return samples


def _national_id_samples(rng: random.Random) -> list[tuple[str, str, str]]:
    """Three of each identifier: Chinese RIC, US SSN, UK NINO, French NIR, Spanish DNI and
    NIE, Italian codice fiscale, Indian Aadhaar and PAN, Brazilian CPF, German Steuer-ID."""
    return [sample for _ in range(3) for sample in _one_of_each_id(rng)]


def pii_corpus(seed: int = 13616) -> list[Sample]:
    """Generated PII values, each in a sentence of its language."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for country, language, value in _phone_samples(rng):
        samples.append(("phone", country, value, _sentence(rng, language, "phone", value)))
    for country, language, value in _email_samples(rng):
        samples.append(("email", country, value, _sentence(rng, language, "email", value)))
    card_languages = ["zh", "de", "fr", "es", "it", "en", "pt"]
    for i, value in enumerate(_card_samples(rng)):
        language = card_languages[i % len(card_languages)]
        samples.append(("card", language, value, _sentence(rng, language, "card", value)))
    iban_languages = {"DE": "de", "FR": "fr", "ES": "es", "IT": "it", "GB": "en", "BR": "pt"}
    for value in _iban_samples(rng):
        language = iban_languages.get(value[:2].upper(), rng.choice(["de", "en", "zh"]))
        samples.append(("iban", value[:2].upper(), value, _sentence(rng, language, "iban", value)))
    for country, language, value in _national_id_samples(rng):
        samples.append(
            ("national_id", country, value, _sentence(rng, language, "national_id", value))
        )
    return samples


def _covered(findings: Sequence[PIIFinding], sentence: str, value: str) -> bool:
    """A finding covers the value, and not more than a couple of characters beyond it."""
    start = sentence.index(value)
    end = start + len(value)
    return any(
        f.start <= start and f.end >= end and f.end - f.start <= len(value) + 4 for f in findings
    )


def measure_recall(
    corpus: Sequence[Sample], find: Callable[[str], Sequence[PIIFinding]]
) -> dict[str, tuple[int, int]]:
    """Per kind: (values redacted, values); under "all" the totals."""
    counts: dict[str, tuple[int, int]] = {}
    for kind, _, value, sentence in corpus:
        hit = _covered(find(sentence), sentence, value)
        for key in (kind, "all"):
            found, total = counts.get(key, (0, 0))
            counts[key] = (found + hit, total + 1)
    return counts


CLEAN_TEXT = [
    # receipts, English
    "WHOLE FOODS MARKET  Receipt 2024-03-15 14:32",
    "2 x Organic Bananas @ 0.79   1.58",
    "Subtotal 23.87  Tax (8.875%) 2.12  Total $25.99",
    "Order #4471932 shipped on 03/15/2024, arriving 03/19/2024.",
    "Invoice INV-2024-000381, due 2024-04-14, amount due $1,249.00",
    "Tracking number 1Z999AA10123456784, 2 parcels, 4.2 kg",
    "Store #0231  Register 04  Cashier 117  Trans 88213",
    "Visa ending in 1111, approved, auth code 004512",
    "Thank you for shopping with us! Returns within 30 days.",
    "Room 1204, check-in 15:00, check-out 11:00, 3 nights at $189.50",
    "Flight LH 401 departs 10:35 from gate B44, seat 32A.",
    "The meeting moved from 9:30 to 10:15 on Tuesday, March 19, 2024.",
    "Population grew from 1,234,567 in 1990 to 2,345,678 in 2020.",
    "We shipped 12,500 units in Q3 2023, up 14.5% year over year.",
    "Upgrade to version 2.14.3 or later; Python 3.11.4 is supported.",
    "The server at 192.168.10.254 answers on port 8443.",
    "Between 1995-2005 the company opened 340 stores.",
    "Deliver to 1600 Amphitheatre Parkway, Mountain View, CA 94043.",
    "221B Baker Street, London NW1 6XE, United Kingdom",
    "Apt 5C, 350 Fifth Avenue, New York, NY 10118-0110",
    "Mix 250 g flour, 125 ml milk and 2 eggs; bake 25 minutes at 180 °C.",
    "The total came to 25.45 after the 10% discount.",
    "Item 3 of 12: 500 GB SSD, 2,5 inch, 7 mm",
    "Part no. 7403-221-58 fits models 2019-2023.",
    "ISBN 978-3-16-148410-0, 3rd edition, 2021, 412 pages",
    # receipts and prose, German
    "REWE Markt GmbH, Musterstraße 12, 10115 Berlin",
    "Datum: 15.03.2024  Uhrzeit: 18:42  Kasse 3  Bon-Nr. 4711",
    "2 x Vollmilch 1,19 EUR   2,38 EUR",
    "Summe EUR 25,45  Gegeben Bar 50,00  Rückgeld 24,55",
    "MwSt 19% auf 21,39 = 4,06; MwSt 7% auf 3,72 = 0,26",
    "Bestellnummer 302-4471932-1187 wurde am 12.03.2024 versandt.",
    "Rechnung Nr. 2024-00381 vom 01.03.2024, zahlbar bis 31.03.2024",
    "Wir treffen uns am Freitag um 19:30 Uhr am Hauptbahnhof.",
    "Die Wohnung hat 3 Zimmer, 78,5 m² und kostet 1.250 € kalt.",
    "Kundenservice erreichbar Mo-Fr 8-20 Uhr, Sa 9-14 Uhr.",
    "Von 2015 bis 2023 stieg der Umsatz um 1.234.567 Euro.",
    "Lieferung an: Hauptstraße 5, 80331 München",
    # French
    "Carrefour Market, 12 rue de la Paix, 75002 Paris",
    "Ticket n° 0047 du 15/03/2024 à 12h47, caisse 5",
    "3 croissants à 1,20 €, total 3,60 €, TVA 5,5 %",
    "Commande n° 1048823 expédiée le 14/03/2024.",
    "Le rendez-vous est fixé au mardi 19 mars 2024 à 14h30.",
    "La population de Lyon était de 522 250 habitants en 2021.",
    "Le train de 8h12 part du quai 3 et arrive à 10h45.",
    # Spanish
    "Mercadona, Calle Mayor 7, 28013 Madrid",
    "Factura simplificada 2024-000123, fecha 15/03/2024 10:21",
    "2 x Pan de molde 1,85 €  Total 3,70 €  IVA 10%",
    "Pedido número 448812 enviado el 14 de marzo de 2024.",
    "La reunión empieza a las 17:00 en la sala 204.",
    # Italian
    "Esselunga, Viale Piave 38, 20129 Milano",
    "Scontrino n. 0342 del 15/03/2024 ore 19:05",
    "Totale complessivo 25,45 €, contanti 30,00 €, resto 4,55 €",
    "Ordine n. 20240315-0042 consegnato il 18/03/2024.",
    "Il museo è aperto dalle 9:00 alle 19:30, biglietto 15 euro.",
    # Portuguese
    "Pão de Açúcar, Av. Paulista 1000, São Paulo - SP, 01310-100",
    "Cupom fiscal 000123, 15/03/2024 14:10, total R$ 125,90",
    "Pedido 98127 entregue em 18/03/2024, frete R$ 12,50.",
    # Chinese
    "北京市朝阳区建国路88号 华贸中心",
    "订单号：202403150001，下单时间 2024-03-15 14:32",
    "合计：¥258.00，实付：¥245.10，优惠：¥12.90",
    "会议定于2024年3月15日下午3点在5楼会议室举行。",
    "本店营业时间为每天10:00-22:00，欢迎光临。",
    "发票号码 04412345，金额 1280.00 元",
    "2023年全年营收增长12.5%，达到3.2亿元。",
    "第3版于2021年出版，共412页，定价68元。",
    # Japanese
    "東京都千代田区丸の内1-9-1",
    "お会計 2,580円（税込）、お預かり 3,000円、お釣り 420円",
    "注文番号 503-1234567-8901234 のご注文を承りました。",
    "会議は3月15日（金）14:00から第2会議室で行います。",
    # Hindi / Indian English
    "बिल संख्या 1043, दिनांक 15/03/2024, कुल ₹1,249.50",
    "Total payable Rs. 2,499.00 incl. GST 18%",
    "ट्रेन सुबह 6:15 बजे प्लेटफॉर्म 4 से रवाना होगी।",
    # Russian
    "Чек № 0042 от 15.03.2024, итого 1 249,50 ₽",
    "Заказ номер 77812345 будет доставлен 18.03.2024.",
    "Встреча назначена на 15:30 в кабинете 204.",
]


def _receipt_lines(rng: random.Random) -> list[str]:
    """Generated receipt lines: items, quantities, prices, dates, times, totals, ids."""
    items = ["Milk", "Brot", "Café", "Leche", "Pane", "牛奶", "コーヒー", "Arroz"]
    lines: list[str] = []
    for _ in range(40):
        qty, price = rng.randint(1, 12), rng.randint(29, 99999) / 100
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2015, 2025)
        hour, minute = rng.randint(0, 23), rng.randint(0, 59)
        lines += [
            f"{qty} x {rng.choice(items)} {price:.2f}  {qty * price:.2f}",
            f"{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d} Total {price * 3:,.2f}",
            f"Datum {day:02d}.{month:02d}.{year} Summe {price:.2f} EUR".replace(".", ",").replace(
                ",", ".", 2
            ),
            f"Order #{rng.randint(10**5, 10**8)} on {month:02d}/{day:02d}/{year}, "
            f"{rng.randint(1, 40)} items, total ${price * 7:,.2f}",
        ]
    return lines


def clean_corpus(seed: int = 2024) -> list[str]:
    """Ordinary text without identifiers: receipts, dates, addresses, prose."""
    return CLEAN_TEXT + _receipt_lines(random.Random(seed))


def test_recall_on_generated_identifiers() -> None:
    corpus = pii_corpus()
    assert len(corpus) >= 150
    assert len({country for _, country, _, _ in corpus}) >= 6
    recall = measure_recall(corpus, find_pii)
    assert set(recall) == {"phone", "email", "card", "iban", "national_id", "all"}
    found, total = recall["all"]
    # measured: 251/252; the miss, 用户@例子.广告 glued to Chinese text, is redacted together
    # with its neighbouring characters (more than the value and four characters more).
    assert found / total >= 0.95
    for kind, (found, total) in recall.items():
        assert found / total >= 0.9, kind


def test_generated_identifiers_round_trip() -> None:
    vault = PIIVault()
    for _, _, value, sentence in pii_corpus():
        redacted = vault.redact(sentence)
        assert value not in redacted or not _covered(find_pii(sentence), sentence, value)
        assert vault.restore(redacted) == sentence


def test_false_positives_on_clean_text() -> None:
    corpus = clean_corpus()
    assert len(corpus) >= 100
    findings = [(f.kind, f.value) for text in corpus for f in find_pii(text)]
    assert len(findings) <= 2, findings  # measured: 0 of 235 sentences
