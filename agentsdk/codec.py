"""One codec for the package's dataclasses: JSON-ready data and back, from their type
hints, instead of a hand-written `to_dict` / `from_dict` pair on every class.

`to_data(obj)` writes a dataclass as the dict of its fields, in field order, and
`from_data(cls, data)` reads it back, each field by its declared type:

| declared type             | written as                  | read back as                     |
| ------------------------- | --------------------------- | -------------------------------- |
| str, int, float, bool     | as it is                    | as it is, or `float("2.5")`...   |
| list[X], tuple[X, ...]    | a list, each item as X      | a list, a tuple, of X            |
| dict[K, X], Mapping[K, X] | a dict, each value as X     | a dict of X                      |
| a dataclass               | its own `to_dict()`, or the | its own `from_dict()`, or by its |
|                           | dict of its fields          | fields                           |
| `npt.NDArray[...]`        | a list                      | an array of its dtype            |
| X or None                 | None, or as X               | None, or as X                    |
| Any, Literal              | as it is                    | as it is                         |
| tuple[A, B]               | a list                      | a tuple, items as they are       |
| anything else (Path...)   | by its value (below)        | as it is                         |

By its value: a list or tuple as a list, a mapping as a dict, a dataclass as above, a
path as its text, a numpy value `tolist()`, the rest as it is. `to_data` of a dataclass
writes its fields even if the class has its own `to_dict` (which may call `to_data`).

Reading, a missing key, or null where the field does not take None, leaves the field its
default; unknown keys are ignored. A missing required field, a value of the wrong shape,
or a class's own refusal (`__post_init__`, a nested `from_dict`) raises a
`ConfigurationError` naming the class, the field and where it sat in the data.

Each class gets, once, a plan: per field, a writer and a reader made from its hint.
`Serialisable` gives a class `to_dict()` / `from_dict()` through the codec. Exceptions,
for formats older than the codec:

* `_codec_order: ClassVar[tuple[str, ...]]` on a class: all its fields, in the order
  their keys are written;
* `dataclasses.field(metadata=options(...))` on a field: `omit_empty` (no key when the
  value is empty or false), `sort` (a mapping's keys, or a sequence, sorted), `pairs` (a
  `tuple[tuple[K, V], ...]` written as a dict), `required` (the key must be there,
  although the field has a default), `encode=` / `decode=` (functions that write and
  read the whole value instead; their errors are reported like the codec's own).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import os
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Self, TypeVar, Union, cast, get_args, get_origin

import numpy as np

from agentsdk.errors import ConfigurationError

__all__ = ["FieldOptions", "Serialisable", "from_data", "options", "to_data"]

T = TypeVar("T")
Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]

_KEY = "agentsdk.codec"
_NONE = type(None)
_UNIONS = (Union, types.UnionType)
_MISSING = object()


@dataclasses.dataclass(frozen=True, slots=True)
class FieldOptions:
    """How one field departs from the codec's rules (see the module docstring)."""

    omit_empty: bool = False
    sort: bool = False
    pairs: bool = False
    required: bool = False
    encode: Encode | None = None
    decode: Decode | None = None


def options(
    *,
    omit_empty: bool = False,
    sort: bool = False,
    pairs: bool = False,
    required: bool = False,
    encode: Encode | None = None,
    decode: Decode | None = None,
) -> dict[str, FieldOptions]:
    """Metadata for `dataclasses.field(metadata=...)`: this field's exceptions."""
    return {_KEY: FieldOptions(omit_empty, sort, pairs, required, encode, decode)}


def to_data(obj: Any) -> Any:
    """`obj` as JSON-ready data: a dataclass as the dict of its fields, anything else by
    its value (see the module docstring)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (_PLANS.get(type(obj)) or _plan(type(obj))).write(obj)
    return _by_value(obj)


def from_data(cls: type[T], data: Any) -> T:
    """An instance of the dataclass `cls` read from `data` (what `to_data` writes).
    Raises `ConfigurationError` naming the class and the field when `data` does not fit."""
    try:
        return cast(T, (_PLANS.get(cls) or _plan(cls)).read(data))
    except _Invalid as exc:
        raise ConfigurationError(exc.explain(cls)) from None


class Serialisable:
    """Gives a dataclass `to_dict()` and `from_dict()` through the codec."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the dict of the fields (`agentsdk.codec.to_data`)."""
        return cast(dict[str, Any], (_PLANS.get(type(self)) or _plan(type(self))).write(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The inverse of `to_dict` (`agentsdk.codec.from_data`)."""
        return from_data(cls, data)


class _Plan(NamedTuple):
    write: Encode  # object -> the dict of its fields
    read: Decode  # dict of fields -> object, or `_Invalid`


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """Made once per class. Writing: its field values taken at once, those that need it
    converted, the empty ones its options omit left out. Reading: per field, its key, the
    exact type taken as it is, the converter, whether it is required, takes None."""
    if cls in _PLANS:
        return _PLANS[cls]
    if not dataclasses.is_dataclass(cls):
        raise ConfigurationError(f"the codec reads dataclasses, not {cls!r}")
    fields = {item.name: item for item in dataclasses.fields(cls)}
    names: tuple[str, ...] = getattr(cls, "_codec_order", None) or tuple(fields)
    if sorted(names) != sorted(fields):
        raise ConfigurationError(
            f"{cls.__name__}._codec_order must list each of its fields once: "
            f"{sorted(fields)}, not {list(names)}"
        )
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, AttributeError, TypeError):  # a hint only type checkers see:
        hints = {}  # every field by its annotation, the text: written by its value
    special: list[tuple[int, str, Encode | None, bool]] = []
    steps: list[tuple[str, Any, Decode | None, bool, bool]] = []
    for index, name in enumerate(names):
        item = fields[name]
        hint = hints.get(name, item.type)
        opts = item.metadata.get(_KEY) or FieldOptions()
        inner = _strip_none(hint)
        to, back = _codec(inner)
        if opts.pairs:  # values written as they are, read by their type
            value = get_args(get_args(inner)[0])[1]  # V of tuple[tuple[K, V], ...]
            to, back = dict, functools.partial(_dict_of, _codec(value)[1], pairs=True)
        if opts.sort:
            to = functools.partial(_sorted, to)
        to = opts.encode or to
        if opts.decode is not None:
            back = functools.partial(_outside, opts.decode, f"{cls.__name__}.{name}")
        if to is not None or opts.omit_empty:
            special.append((index, name, to, opts.omit_empty))
        if item.init:
            required = opts.required or item.default is item.default_factory  # both MISSING
            exact = inner if inner in _SCALARS else object
            steps.append((name, exact, back, required, _takes_none(hint)))
    values_of: Callable[[Any], tuple[Any, ...]] = (
        operator.attrgetter(*names)
        if len(names) > 1
        else lambda obj: tuple(getattr(obj, name) for name in names)
    )

    def write(obj: Any) -> dict[str, Any]:
        values = values_of(obj)
        data = dict(zip(names, values))  # noqa: B905 - as many, and faster
        for index, name, convert, omit_empty in special:
            if omit_empty and not values[index]:
                del data[name]
            elif convert is not None and values[index] is not None:
                data[name] = convert(values[index])
        return data

    def read(data: Any) -> Any:
        get, found, name = _mapping(data).get, {}, ""
        try:
            for name, exact, convert, required, nullable in steps:
                value = get(name, _MISSING)
                if value is _MISSING:
                    if required:
                        raise _Invalid("missing", missing=True)
                elif value is not None or nullable or required:  # else the default
                    if convert is not None and type(value) is not exact:
                        value = None if value is None and nullable else convert(value)
                    found[name] = value
        except _Invalid as exc:
            raise exc.at(name, f"{cls.__name__}.{name}") from None
        try:
            return cls(**found)
        except ConfigurationError as exc:  # the class refused the values
            raise _Invalid(str(exc)) from None
        except (ValueError, TypeError) as exc:
            raise _Invalid(f"{cls.__name__}: {type(exc).__name__}: {exc}") from None

    plan = _PLANS[cls] = _Plan(write, read)  # made twice at worst, by two threads at once
    return plan


def _codec(hint: Any) -> tuple[Encode | None, Decode | None]:
    """How a value declared `hint` is written and read (None: as it is)."""
    if hint in _SCALARS:
        return None, functools.partial(_scalar, hint)
    if hint in (Any, object, _NONE) or get_origin(hint) is Literal:
        return None, None
    origin, args = get_origin(hint) or hint, get_args(hint)
    if origin in _UNIONS:
        rest = [arg for arg in args if arg is not _NONE]
        to, back = _codec(rest[0]) if len(rest) == 1 else (_by_value, None)
        return _or_none(to), _or_none(back)
    if origin is tuple and args and args[-1] is not Ellipsis:  # of a fixed size
        return _by_value, functools.partial(_list_of, tuple, None)
    if origin in (list, tuple, Sequence):
        each, back = _codec(args[0] if args else Any)
        read = functools.partial(_list_of, list if origin is list else tuple, back)
        return (list if each is None else lambda value: [each(x) for x in value]), read
    if origin in (dict, Mapping):
        to, back = _codec(args[1] if len(args) == 2 else Any)
        read = functools.partial(_dict_of, back)
        return (dict if to is None else lambda value: {k: to(x) for k, x in value.items()}), read
    if origin is np.ndarray:
        dtype = get_args(args[1]) if len(args) == 2 else ()
        return _by_value, functools.partial(_array, dtype[0] if dtype else np.float32)
    if not isinstance(hint, type) or not dataclasses.is_dataclass(hint):
        return _by_value, None
    write = operator.methodcaller("to_dict") if _own(hint, "to_dict") else _by_value
    if not _own(hint, "from_dict"):  # its plan, made when first needed (it may nest itself)
        return write, lambda value: (_PLANS.get(hint) or _plan(hint)).read(value)
    own = functools.partial(_outside, hint.from_dict, hint.__name__)  # type: ignore[attr-defined]
    return write, lambda value: own(_mapping(value))


_NESTED: dict[type, Encode] = {}  # class -> its own `to_dict`, or the writer of its plan


def _by_value(value: Any) -> Any:
    """A value written by what it is, where no type hint says more."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    write = _NESTED.get(kind)
    if write is None:
        if isinstance(value, list | tuple):
            return [_by_value(item) for item in value]
        if isinstance(value, Mapping):
            return {key: _by_value(item) for key, item in value.items()}
        if isinstance(value, np.ndarray | np.generic):
            return value.tolist()
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not _own(kind, "to_dict") and not dataclasses.is_dataclass(kind):
            return value
        write = _NESTED[kind] = kind.to_dict if _own(kind, "to_dict") else _plan(kind).write
    return write(value)


def _own(cls: type, method: str) -> bool:
    """Whether `cls` has its own `method` (not the one `Serialisable` gives it)."""
    found = getattr(cls, method, None)
    return callable(found) and getattr(found, "__func__", found) is not _MIXIN[method]


_MIXIN = {"to_dict": Serialisable.to_dict, "from_dict": vars(Serialisable)["from_dict"].__func__}


def _sorted(write: Encode | None, value: Any) -> Any:
    ordered = dict(sorted(value.items())) if isinstance(value, Mapping) else sorted(value)
    return ordered if write is None else write(ordered)


class _Invalid(Exception):
    """A value that does not fit; each level it passes on its way out adds where it sat."""

    def __init__(self, problem: str, *, missing: bool = False) -> None:
        super().__init__(problem)
        self.problem, self.missing, self.where, self.owner = problem, missing, "", ""

    def at(self, step: str, owner: str = "") -> _Invalid:
        """Inside `step` (a field name, "[index]", '["key"]') of `owner` ("Point.x")."""
        dot = "." if self.where and not self.where.startswith("[") else ""
        self.where, self.owner = step + dot + self.where, self.owner or owner
        return self

    def explain(self, cls: type) -> str:
        said = f"cannot read {cls.__name__}: "
        if not self.where:
            return said + self.problem
        place = f"'{self.where}'"
        if self.owner != f"{cls.__name__}.{self.where}":
            place += f" ({self.owner})"
        if self.missing:
            return said + f"required field {place} is missing"
        return said + f"field {place}: {self.problem}"


def _kind(value: Any) -> str:
    """What a JSON value is, for an error message."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, Mapping):
        return "an object"
    return "a list" if isinstance(value, list | tuple) else f"a {type(value).__name__}"


_SCALARS: dict[Any, tuple[str, tuple[type, ...]]] = {
    str: ("text", (int, float)),
    int: ("an integer", (int, float, str)),
    float: ("a number", (int, float, str)),
    bool: ("true or false", (int, float)),
}
"""What each scalar type is called, and the other values it is read from."""


def _scalar(kind: type, value: Any) -> Any:
    if type(value) is kind:
        return value
    what, sources = _SCALARS[kind]
    if isinstance(value, sources) and not (kind is str and isinstance(value, bool)):
        try:
            return kind(value)
        except (ValueError, OverflowError):
            pass
    raise _Invalid(f"expected {what}, got {_kind(value)}")


def _mapping(value: Any) -> Mapping[Any, Any]:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise _Invalid(f"expected an object, got {_kind(value)}")


def _list_of(make: type[list[Any] | tuple[Any, ...]], read: Decode | None, value: Any) -> Any:
    """A list (or tuple: `make`) of the items `read` reads."""
    if type(value) is not list and not isinstance(value, list | tuple):
        raise _Invalid(f"expected a list, got {_kind(value)}")
    if read is None:
        return make(value)
    made: list[Any] = []
    try:
        for item in value:
            made.append(read(item))
    except _Invalid as exc:
        raise exc.at(f"[{len(made)}]") from None
    return made if make is list else make(made)


def _dict_of(read: Decode | None, value: Any, *, pairs: bool = False) -> Any:
    """A dict (or a tuple of its pairs) of the values `read` reads."""
    made = dict(_mapping(value))
    if read is not None:
        try:
            for key, item in made.items():
                made[key] = read(item)
        except _Invalid as exc:
            raise exc.at(f"[{json.dumps(key)}]") from None
    return tuple(made.items()) if pairs else made


def _array(dtype: Any, value: Any) -> Any:
    if not isinstance(value, list | tuple | np.ndarray):
        raise _Invalid(f"expected a list of numbers, got {_kind(value)}")
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"expected a list of numbers: {exc}") from None


def _outside(read: Decode, what: str, value: Any) -> Any:
    """A class's own `from_dict`, or a field's own `decode`: their errors as ours."""
    try:
        return read(value)
    except _Invalid:
        raise
    except ConfigurationError as exc:
        raise _Invalid(str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise _Invalid(f"not a valid {what}: {type(exc).__name__}: {exc}") from None


def _or_none(convert: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """`convert`, taking None as it is."""
    return convert and (lambda value: None if value is None else convert(value))


def _takes_none(hint: Any) -> bool:
    args = get_args(hint) if get_origin(hint) in (*_UNIONS, Literal) else ()
    return hint in (Any, object, _NONE) or _NONE in args or None in args


def _strip_none(hint: Any) -> Any:
    """X of `X | None`; `hint` itself otherwise."""
    rest = [arg for arg in get_args(hint) if arg is not _NONE]
    return rest[0] if get_origin(hint) in _UNIONS and len(rest) == 1 else hint
