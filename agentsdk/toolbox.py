"""Ready tools: a safe calculator, the current time, and a sandboxed text file reader.

Each is a `Tool` made with `@tool`; errors they raise become error outcomes the model
can read (see `Tool.run`).
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import os
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias

from agentsdk.errors import ConfigurationError
from agentsdk.tools import CallTemplate, Tool, tool

__all__ = [
    "CALCULATOR_TEMPLATES",
    "arithmetic_value",
    "calculator",
    "current_time",
    "make_file_reader",
]

Number: TypeAlias = int | Decimal

_MAX_EXPRESSION_CHARS = 1000
_MAX_EXPONENT = 1000
_MAX_INT_BITS = 4000  # about 1200 decimal digits
_MAX_ROUND_DIGITS = 100
_DECIMALS_SHOWN = 10
_DEFAULT_MAX_BYTES = 100_000
_CONTEXT = decimal.Context(
    prec=50,
    Emax=1200,
    Emin=-1200,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_REFUSED_OPERATORS: dict[type[ast.operator], str] = {
    ast.BitXor: "^ (use ** for powers)",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}


CALCULATOR_TEMPLATES = (
    CallTemplate(
        {"expression": "{value}"},
        (
            "How much does the lamp cost?",
            "What is the amount due?",
            "What was the final bill?",
            "How much is one ticket?",
            "What did I pay for the taxi?",
            "What is the balance on the statement?",
        ),
        reads=True,
    ),
    CallTemplate(
        {"expression": "{value} + {value}"},
        (
            "What do a coffee and a sandwich come to together?",
            "Add the hotel and the flight.",
            "What is the cost of the shoes plus the socks?",
            "How much for both the rent and the deposit?",
            "Combined, what do the two books cost?",
        ),
    ),
    CallTemplate(
        {"expression": "{value} - {value}"},
        (
            "How much more is the train than the bus?",
            "What is the difference between the two quotes?",
            "How much cheaper is the small size?",
            "By how much did the price go down?",
        ),
    ),
    CallTemplate(
        {"expression": "{value} * {count}"},
        (
            "What do 4 tickets cost?",
            "How much for six bottles at that price?",
            "Three nights at this rate cost how much?",
            "What would ten of these cost?",
        ),
    ),
    CallTemplate(
        {"expression": "{value} / {count}"},
        (
            "Divide the bill among 5 friends.",
            "Four of us share the taxi; what does each one owe?",
            "What is the price per person for a group of 6?",
            "Halve the cost between us two.",
        ),
    ),
    CallTemplate(
        {"expression": "{values: + }"},
        (
            "Add up all the prices on the list.",
            "What does everything in the basket come to?",
            "Sum the amounts of all the entries.",
            "What do all the listed things cost altogether?",
        ),
    ),
    # computed from the request's own numbers (a text-only question)
    CallTemplate(
        {"expression": "{count} + {count}"},
        (
            "What is 12 plus 30?",
            "Add 4.5 and 2.25.",
            "What do 250 and 75 make together?",
            "What is the sum of 8 and 15?",
            "How much is 2.5 + 4?",
        ),
    ),
    CallTemplate(
        {"expression": "{count} - {count}"},
        (
            "What is 100 minus 37?",
            "How much is 90 take away 25?",
            "What is 7.5 less 2?",
            "What is the difference between 64 and 19?",
            "What is 50 - 8?",
        ),
    ),
    CallTemplate(
        {"expression": "{count} * {count}"},
        (
            "What is 6 times 7?",
            "Multiply 12 by 3.",
            "What is 2.5 multiplied by 4?",
            "What is the product of 9 and 11?",
            "Compute 6 * 3.",
            "What is 4 x 8?",
        ),
    ),
    CallTemplate(
        {"expression": "{count} / {count}"},
        (
            "What is 144 divided by 12?",
            "Divide 90 by 4.",
            "How much is 10 over 4?",
            "What is 7 split into 2 equal parts?",
            "What is 9 / 3?",
        ),
    ),
    CallTemplate(
        {"expression": "{count} / 100 * {count}"},
        (
            "What is 20 percent of 150?",
            "How much is 15% of 60?",
            "Work out 8 percent of 1200.",
        ),
    ),
    CallTemplate(
        {"expression": "{count} ** {count}"},
        (
            "What is 2 to the power of 10?",
            "What is 7 raised to the power 3?",
            "Compute 10 to the power of 6.",
        ),
    ),
)
"""The shapes of calculation a grounded local model chooses among (`CallTemplate`): the
examples are generic requests, written for this purpose, not taken from any eval."""


@tool(templates=CALCULATOR_TEMPLATES)
def calculator(expression: str) -> str:
    """Calculate totals, sums, differences, shares and other arithmetic on numbers, such
    as adding up prices or splitting an amount. Evaluates the expression exactly and
    returns the result.

    Supports numbers, + - * / // % **, parentheses and the functions round(x, digits),
    abs, min, max and sqrt. Decimal numbers are exact (0.1 + 0.2 gives 0.3); results
    show at most 10 decimals.

    Args:
        expression: The expression, for example "(7 + 5) / 3" or "sqrt(2) * 3".
    """
    return _evaluate(expression)


def _evaluate(expression: str) -> str:
    """The value of an arithmetic expression as text (what `calculator` returns).

    Raises ValueError for anything but arithmetic, naming what was refused.
    """
    return _format(_value(expression))


def arithmetic_value(expression: str) -> Decimal:
    """The exact value of an arithmetic expression (the calculator's evaluator).

    Raises ValueError for anything but arithmetic, naming what was refused.
    """
    return Decimal(_value(expression))


def _value(expression: str) -> Number:
    text = expression.strip()
    if not text:
        raise ValueError("the expression is empty")
    if len(text) > _MAX_EXPRESSION_CHARS:
        raise ValueError(f"the expression is longer than {_MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid arithmetic expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("the expression is too deeply nested") from None
    try:
        with decimal.localcontext(_CONTEXT):
            return _Evaluator(text).visit(tree.body)
    except RecursionError:
        raise ValueError("the expression is too deeply nested") from None
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except decimal.Overflow:
        raise ValueError("the result is too large") from None
    except decimal.InvalidOperation:
        raise ValueError(
            "the result is undefined or out of range (e.g. a negative number to a fractional power)"
        ) from None


class _Evaluator:
    """Evaluates an expression tree, allowing arithmetic nodes only."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._functions: dict[str, Callable[..., Number]] = {
            "abs": self._abs,
            "max": self._max,
            "min": self._min,
            "round": self._round,
            "sqrt": self._sqrt,
        }

    def visit(self, node: ast.expr) -> Number:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            value = self.visit(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise ValueError(
            f"{_describe(node)} is not allowed; use numbers, + - * / // % **, parentheses "
            "and the functions abs, max, min, round, sqrt"
        )

    def _constant(self, node: ast.Constant) -> Number:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, int):
            return _checked(value)
        literal = ast.get_source_segment(self._source, node) or repr(value)
        try:
            number = Decimal(literal.replace("_", ""))
        except decimal.InvalidOperation:
            number = Decimal(repr(value))
        if not number.is_finite() or abs(number.adjusted()) > _CONTEXT.Emax:
            raise ValueError(f"the number {literal} is out of range")
        return number

    def _binary(self, node: ast.BinOp) -> Number:
        symbol = _OPERATORS.get(type(node.op))
        if symbol is None:
            refused = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            raise ValueError(f"the operator {refused} is not allowed")
        left = self.visit(node.left)
        right = self.visit(node.right)
        if symbol == "**":
            return _power(left, right)
        if symbol == "/":
            return _checked(Decimal(left) / Decimal(right))
        if isinstance(left, int) and isinstance(right, int):
            results: dict[str, Callable[[int, int], int]] = {
                "+": int.__add__,
                "-": int.__sub__,
                "*": int.__mul__,
                "//": int.__floordiv__,
                "%": int.__mod__,
            }
            return _checked(results[symbol](left, right))
        a, b = Decimal(left), Decimal(right)
        if symbol == "+":
            return _checked(a + b)
        if symbol == "-":
            return _checked(a - b)
        if symbol == "*":
            return _checked(a * b)
        # Python's floor semantics (Decimal's // and % truncate toward zero).
        quotient = (a / b).to_integral_value(rounding=decimal.ROUND_FLOOR)
        return _checked(quotient if symbol == "//" else a - b * quotient)

    def _call(self, node: ast.Call) -> Number:
        if not isinstance(node.func, ast.Name) or node.func.id not in self._functions:
            allowed = ", ".join(sorted(self._functions))
            raise ValueError(
                f"calling {_describe(node.func)} is not allowed; the functions are {allowed}"
            )
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ValueError(f"{node.func.id}() takes plain positional arguments only")
        arguments = [self.visit(arg) for arg in node.args]
        return self._functions[node.func.id](*arguments)

    @staticmethod
    def _abs(*args: Number) -> Number:
        (value,) = _arity("abs", args, 1, 1)
        return -value if value < 0 else value

    @staticmethod
    def _max(*args: Number) -> Number:
        return max(_arity("max", args, 1, None))

    @staticmethod
    def _min(*args: Number) -> Number:
        return min(_arity("min", args, 1, None))

    @staticmethod
    def _round(*args: Number) -> Number:
        value, *rest = _arity("round", args, 1, 2)
        digits = rest[0] if rest else 0
        if not isinstance(digits, int) and digits != digits.to_integral_value():
            raise ValueError("round()'s digits must be a whole number")
        digits = int(digits)
        if abs(digits) > _MAX_ROUND_DIGITS:
            raise ValueError(
                f"round()'s digits must be between -{_MAX_ROUND_DIGITS} and {_MAX_ROUND_DIGITS}"
            )
        rounded = Decimal(value).quantize(Decimal(1).scaleb(-digits), decimal.ROUND_HALF_UP)
        return int(rounded) if digits <= 0 else rounded

    @staticmethod
    def _sqrt(*args: Number) -> Number:
        (value,) = _arity("sqrt", args, 1, 1)
        if value < 0:
            raise ValueError("sqrt() of a negative number is not a real number")
        return Decimal(value).sqrt()


def _arity(name: str, args: tuple[Number, ...], least: int, most: int | None) -> tuple[Number, ...]:
    if len(args) < least or (most is not None and len(args) > most):
        if most is None:
            expected = f"{least} or more"
        elif least == most:
            expected = str(least)
        else:
            expected = f"{least} to {most}"
        raise ValueError(f"{name}() takes {expected} argument(s), got {len(args)}")
    return args


def _power(base: Number, exponent: Number) -> Number:
    if not -_MAX_EXPONENT <= exponent <= _MAX_EXPONENT:
        raise ValueError(f"exponents are limited to +-{_MAX_EXPONENT}")
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        if base.bit_length() * exponent > _MAX_INT_BITS:
            raise ValueError("the result is too large")
        return _checked(base**exponent)
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    return _checked(Decimal(base) ** Decimal(exponent))


def _checked(value: Number) -> Number:
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise ValueError("the result is too large")
        return value
    if not value.is_finite():
        raise ValueError("the result is not a finite number")
    return value


def _format(value: Number) -> str:
    if isinstance(value, int):
        return str(value)
    if value == value.to_integral_value() and value.adjusted() < 30:
        return str(int(value))
    if Decimal("1e-10") <= abs(value) < Decimal("1e20"):
        shown = value.quantize(Decimal(1).scaleb(-_DECIMALS_SHOWN), decimal.ROUND_HALF_EVEN)
        return format(shown.normalize(), "f")
    mantissa, _, exponent = f"{value:.{_DECIMALS_SHOWN - 1}e}".partition("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Attribute):
        return f"the attribute {node.attr!r}"
    snippet = ast.unparse(node)
    return repr(snippet if len(snippet) <= 40 else snippet[:37] + "...")


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time in a time zone, with the day of the week.

    Args:
        timezone: An IANA time zone name such as "UTC", "Europe/Paris" or "America/New_York".
    """
    now = dt.datetime.now(_zone(timezone)).replace(microsecond=0)
    return f"{now.isoformat()} ({now:%A}, {timezone})"


def _zone(name: str) -> dt.tzinfo:
    if name.strip().upper() in ("UTC", "Z", "GMT"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'UTC', 'Europe/Paris' "
            "or 'America/New_York'"
        ) from None


def make_file_reader(
    root: str | os.PathLike[str],
    max_bytes: int = _DEFAULT_MAX_BYTES,
    *,
    name: str = "read_text_file",
    encoding: str = "utf-8",
) -> Tool[..., Any]:
    """A tool that reads text files under `root` only.

    Paths are taken relative to `root` (absolute ones must lie inside it); symlinks are
    resolved before the check, so no path or link leads outside. Files over `max_bytes`,
    binary files and text not in `encoding` are refused with a message the model can read.
    """
    try:
        folder = Path(root).expanduser().resolve(strict=True)
    except OSError as exc:
        raise ConfigurationError(f"the file reader's root {str(root)!r} does not exist") from exc
    if not folder.is_dir():
        raise ConfigurationError(f"the file reader's root {str(root)!r} is not a folder")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ConfigurationError(f"max_bytes must be a positive int, not {max_bytes!r}")
    try:
        "".encode(encoding)
    except LookupError as exc:
        raise ConfigurationError(f"unknown text encoding {encoding!r}") from exc

    def read_text_file(path: str) -> str:
        """Read a text file from the folder of files you are allowed to read.

        Args:
            path: The file's path, relative to that folder (for example "notes/todo.txt").
        """
        return _read_inside(folder, path, max_bytes, encoding)

    return tool(name=name)(read_text_file)


def _read_inside(folder: Path, path: str, max_bytes: int, encoding: str) -> str:
    if not path.strip():
        raise ValueError("the path is empty")
    if "\x00" in path:
        raise ValueError("the path contains a NUL character")
    target = (folder / path).resolve()
    if not target.is_relative_to(folder):
        raise PermissionError(f"{path!r} is outside the folder this tool may read")
    if not target.exists():
        raise FileNotFoundError(f"no such file: {path!r}")
    if target.is_dir():
        raise IsADirectoryError(f"{path!r} is a folder, not a file")
    if not target.is_file():
        raise ValueError(f"{path!r} is not a regular file")
    size = target.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{path!r} is {size} bytes, over the limit of {max_bytes} bytes")
    with target.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{path!r} is over the limit of {max_bytes} bytes")
    if b"\x00" in data:
        raise ValueError(f"{path!r} looks like a binary file, not text")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path!r} is not {encoding} text (undecodable byte at offset {exc.start}); "
            "it may be a binary file"
        ) from None
