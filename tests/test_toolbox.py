"""The ready tools: calculator, current time, sandboxed file reader; attacks included."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from agentsdk.errors import ConfigurationError
from agentsdk.toolbox import calculator, current_time, make_file_reader
from agentsdk.tools import Tool


def calc(expression: str) -> str:
    outcome = calculator.run_sync({"expression": expression})
    assert not outcome.is_error, outcome.content
    return outcome.content


def calc_error(expression: str) -> str:
    outcome = calculator.run_sync({"expression": expression})
    assert outcome.is_error, outcome.content
    assert outcome.content.startswith("Error: ValueError: ")
    return outcome.content


# --- calculator ---------------------------------------------------------------------------


def test_calculator_is_a_documented_tool() -> None:
    assert isinstance(calculator, Tool)
    function = calculator.schema()["function"]
    assert function["name"] == "calculator"
    assert function["parameters"]["required"] == ["expression"]
    assert function["parameters"]["properties"]["expression"]["description"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("12.50 + 3.25 + 4.10 + 5.60", "25.45"),
        ("0.1 + 0.2", "0.3"),
        ("1.10 * 3", "3.3"),
        ("2.50 * 2", "5"),
        ("3 * (4 + 5)", "27"),
        ("10 / 4", "2.5"),
        ("10 / 5", "2"),
        ("1 / 3", "0.3333333333"),
        ("2 / 3", "0.6666666667"),
        ("-7 // 2", "-4"),
        ("-7 % 2", "1"),
        ("-7.5 // 2", "-4"),
        ("-7.5 % 2", "0.5"),
        ("2 ** 10", "1024"),
        ("2 ** -2", "0.25"),
        ("2 ** 0.5", "1.4142135624"),
        ("-3 ** 2", "-9"),
        ("+5 - -5", "10"),
        ("1_000 * 2", "2000"),
        ("1e3 + 1", "1001"),
        ("1e-15", "1e-15"),
        ("1e30 / 7", "1.428571429e+29"),
        ("-0.0", "0"),
        ("round(2.675, 2)", "2.68"),
        ("round(2.5)", "3"),
        ("round(1234, -2)", "1200"),
        ("abs(-3.5)", "3.5"),
        ("min(4, 2.5, 3)", "2.5"),
        ("max(1, 2, 3)", "3"),
        ("sqrt(16)", "4"),
        ("sqrt(2)", "1.4142135624"),
        ("round(25.45 * 1.2, 2)", "30.54"),
    ],
)
def test_calculator_arithmetic(expression: str, expected: str) -> None:
    assert calc(expression) == expected


def test_big_integers_stay_exact() -> None:
    assert calc("2 ** 100") == str(2**100)
    assert calc("10 ** 1000") == "1" + "0" * 1000


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("__import__('os')", "calling the name '__import__' is not allowed"),
        ("().__class__", "the attribute '__class__' is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "is not allowed"),
        ("open('/etc/passwd')", "calling the name 'open' is not allowed"),
        ("x + 1", "the name 'x' is not allowed"),
        ("math.pi", "the attribute 'pi' is not allowed"),
        ("'a' * 3", "'a' is not a number"),
        ("True + 1", "True is not a number"),
        ("1j", "1j is not a number"),
        ("[1, 2]", "'[1, 2]' is not allowed"),
        ("(lambda: 1)()", "is not allowed"),
        ("1 if 1 else 2", "is not allowed"),
        ("1 < 2", "is not allowed"),
        ("round(x=1)", "plain positional arguments only"),
        ("2 ^ 3", "^ (use ** for powers) is not allowed"),
        ("2 ** 10 ** 10", "exponents are limited"),
        ("9 ** 9 ** 9", "exponents are limited"),
        ("2.5 ** 5000", "exponents are limited"),
        ("10 ** 1000 * 10 ** 1000", "too large"),
        ("1e1000 * 1e1000", "too large"),
        ("1e5000", "out of range"),
        ("1 / 0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("(-8) ** (1 / 3)", "undefined"),
        ("sqrt(-1)", "negative"),
        ("min()", "min() takes 1 or more argument(s), got 0"),
        ("sqrt(1, 2)", "sqrt() takes 1 argument(s), got 2"),
        ("round(1.5, 0.5)", "whole number"),
        ("", "empty"),
        ("1 +", "not a valid arithmetic expression"),
        ("1" * 2000, "longer than"),
        ("(" * 300 + "1" + ")" * 300, "not a valid arithmetic expression"),
    ],
)
def test_calculator_refuses_anything_but_arithmetic(expression: str, expected: str) -> None:
    assert expected in calc_error(expression)


def test_huge_exponents_are_refused_quickly() -> None:
    began = time.perf_counter()
    calc_error("2 ** 10 ** 10")
    calc_error("(10 ** 999) ** 999")
    assert time.perf_counter() - began < 0.5


# --- current_time -------------------------------------------------------------------------


def test_current_time_in_utc_by_default() -> None:
    outcome = current_time.run_sync({})
    assert not outcome.is_error
    stamp, _, rest = outcome.content.partition(" ")
    moment = dt.datetime.fromisoformat(stamp)
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - moment).total_seconds()) < 5
    assert rest == f"({moment:%A}, UTC)"


def test_current_time_in_a_named_zone() -> None:
    try:
        import zoneinfo

        zoneinfo.ZoneInfo("Asia/Tokyo")
    except Exception:
        pytest.skip("no time zone database on this machine")
    content = current_time.run_sync({"timezone": "Asia/Tokyo"}).content
    moment = dt.datetime.fromisoformat(content.partition(" ")[0])
    assert moment.utcoffset() == dt.timedelta(hours=9)
    assert content.endswith(", Asia/Tokyo)")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", ""])
def test_an_unknown_time_zone_is_a_readable_error(zone: str) -> None:
    outcome = current_time.run_sync({"timezone": zone})
    assert outcome.is_error
    assert "unknown time zone" in outcome.content and "Europe/Paris" in outcome.content


# --- read_text_file -----------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "notes").mkdir(parents=True)
    (root / "hello.txt").write_text("Hello, world.\n", encoding="utf-8")
    (root / "notes" / "todo.txt").write_text("café\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    return root


def read(reader: Tool, path: str) -> tuple[str, bool]:
    outcome = reader.run_sync({"path": path})
    return outcome.content, outcome.is_error


def test_reads_files_under_the_root(sandbox: Path) -> None:
    reader = make_file_reader(sandbox)
    assert reader.name == "read_text_file"
    assert reader.schema()["function"]["parameters"]["required"] == ["path"]
    assert read(reader, "hello.txt") == ("Hello, world.\n", False)
    assert read(reader, "notes/todo.txt") == ("café\n", False)
    assert read(reader, "notes/../hello.txt") == ("Hello, world.\n", False)
    assert read(reader, str(sandbox / "hello.txt")) == ("Hello, world.\n", False)


@pytest.mark.parametrize("path", ["../secret.txt", "notes/../../secret.txt", "/etc/passwd", ".."])
def test_paths_outside_the_root_are_refused(sandbox: Path, path: str) -> None:
    content, is_error = read(make_file_reader(sandbox), path)
    assert is_error
    assert content.startswith("Error: PermissionError: ") and "outside the folder" in content
    assert "top secret" not in content


def test_absolute_paths_outside_the_root_are_refused(sandbox: Path) -> None:
    content, is_error = read(make_file_reader(sandbox), str(sandbox.parent / "secret.txt"))
    assert is_error and "outside the folder" in content


def test_symlinks_leading_outside_are_refused(sandbox: Path) -> None:
    (sandbox / "link.txt").symlink_to(sandbox.parent / "secret.txt")
    (sandbox / "linked_dir").symlink_to(sandbox.parent, target_is_directory=True)
    (sandbox / "inside.txt").symlink_to(sandbox / "hello.txt")
    reader = make_file_reader(sandbox)
    for path in ("link.txt", "linked_dir/secret.txt"):
        content, is_error = read(reader, path)
        assert is_error and "outside the folder" in content and "top secret" not in content
    assert read(reader, "inside.txt") == ("Hello, world.\n", False)


def test_a_symlinked_root_is_resolved(sandbox: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(sandbox, target_is_directory=True)
    assert read(make_file_reader(alias), "hello.txt") == ("Hello, world.\n", False)


def test_missing_files_folders_and_size_limit(sandbox: Path) -> None:
    (sandbox / "big.txt").write_text("x" * 101, encoding="utf-8")
    reader = make_file_reader(sandbox, max_bytes=100)
    content, is_error = read(reader, "nope.txt")
    assert is_error and content == "Error: FileNotFoundError: no such file: 'nope.txt'"
    content, is_error = read(reader, "notes")
    assert is_error and "is a folder" in content
    content, is_error = read(reader, "big.txt")
    assert is_error and "101 bytes, over the limit of 100 bytes" in content
    content, is_error = read(reader, "")
    assert is_error and "empty" in content


def test_binary_and_undecodable_files_are_refused(sandbox: Path) -> None:
    (sandbox / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (sandbox / "latin1.txt").write_bytes("café".encode("latin-1"))
    reader = make_file_reader(sandbox)
    content, is_error = read(reader, "image.png")
    assert is_error and "binary" in content
    content, is_error = read(reader, "latin1.txt")
    assert is_error and "is not utf-8 text (undecodable byte at offset 3)" in content
    assert read(make_file_reader(sandbox, encoding="latin-1"), "latin1.txt") == ("café", False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_files_are_refused_without_blocking(sandbox: Path) -> None:
    os.mkfifo(sandbox / "pipe")
    content, is_error = read(make_file_reader(sandbox), "pipe")
    assert is_error and "not a regular file" in content


def test_factory_checks_its_settings(sandbox: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        make_file_reader(sandbox / "missing")
    with pytest.raises(ConfigurationError, match="not a folder"):
        make_file_reader(sandbox / "hello.txt")
    with pytest.raises(ConfigurationError, match="max_bytes"):
        make_file_reader(sandbox, max_bytes=0)
    with pytest.raises(ConfigurationError, match="encoding"):
        make_file_reader(sandbox, encoding="no-such-codec")
    assert make_file_reader(sandbox, name="read_notes").name == "read_notes"
