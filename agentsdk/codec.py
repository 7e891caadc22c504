"""One codec for the package's dataclasses: JSON-ready data and back, read from their type
hints, instead of a hand-written `to_dict` / `from_dict` pair on every class.

`to_data(obj)` writes a dataclass as a dict of its fields, in field order; each value
by its declared type:

| declared type                          | written as                                         |
| -------------------------------------- | -------------------------------------------------- |
| str, int, float, bool, None, Literal   | the value as it is                                 |
| `Any` (alone, or as items or values)   | the value as it is: declared JSON already          |
| tuple, list, Sequence                  | a list, each item by its type                      |
| Mapping, dict                          | a dict, each value by its type (keys as they are)  |
| a dataclass                            | its own `to_dict()` if it has one (`ToolCall`,     |
|                                        | `Message`...), else the dict of its fields         |
| a numpy array (`npt.NDArray[...]`)     | a list (`tolist()`)                                |
| a `Path`                               | str                                                |
| X or None (`Optional[X]`)              | None, or X as above                                |

Anything else (a hint that cannot be resolved, a union of several types) is written by
its value with the same rules. `to_data` of a dataclass always writes its fields, even if
the class has its own `to_dict` (which may call `to_data(self)` and add to it); an object
nested inside uses its own `to_dict`.

`from_data(cls, data)` reads such a dict back into `cls`. The type hints are read once
per class (`typing.get_type_hints`), and each class gets a reader made for it then.
Tuples become tuples of their item type, mappings dicts, numpy arrays `np.asarray(value,
dtype=...)` (float32 unless the hint names another dtype), `Path`s `Path`s; float and
int fields take `float(value)` and `int(value)`, str fields a number as its text; a
nested dataclass is read with its own `from_dict` if it has one, else by its fields. A
key that is missing, or null where the field does not take None, leaves the field its
default; unknown keys are ignored. A missing required field or a value of the wrong shape
(a list where an object belongs, text where a number does) raises a `ConfigurationError`
that names the class, the field and where it sat in the data. `Literal` fields are read
as they are (the class checks them, as `Decision` does); a class's own `__post_init__`
refusals become a `ConfigurationError` too.

A class that has `Serialisable` among its bases gets `to_dict()` and `from_dict()` from
the codec, so its public methods stay without being written by hand.

The writer and the reader of a class are Python source generated from its fields the
first time they are needed (as dataclasses generates `__init__`), so a saved state is
written and read about as fast as by hand-written methods.

Exceptions, for the few formats that predate the codec:

* a class attribute `_codec_order: ClassVar[tuple[str, ...]]` lists every field in the
  order its keys are written (when that order is not the fields' own);
* `dataclasses.field(metadata=options(...))` on one field:

  - `omit_empty=True`: the key is left out when the value is empty or false ("", (),
    {}, None, 0, False); reading, a missing key takes the default as always;
  - `sort=True`: a mapping is written with its keys sorted, a sequence sorted;
  - `pairs=True`: a tuple of (key, value) pairs is written as a dict (and read back from
    one);
  - `required=True`: the key must be there when reading, although the field has a
    default;
  - `encode=` / `decode=`: functions that write and read the field's whole value
    instead (media parts, which carry their own format). Their errors are reported like
    the codec's own.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import threading
import types
import typing
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from pathlib import PurePath
from typing import Any, Literal, Self, TypeVar, Union, cast, get_args, get_origin

import numpy as np

from agentsdk.errors import ConfigurationError

__all__ = ["FieldOptions", "Serialisable", "from_data", "options", "to_data"]

T = TypeVar("T")
Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]

_KEY = "agentsdk.codec"
_NONE_TYPE = type(None)
_SCALARS: tuple[type, ...] = (str, int, float, bool, _NONE_TYPE)
_SEQUENCES = (tuple, list, Sequence, MutableSequence)
_MAPPINGS = (dict, Mapping, MutableMapping)


@dataclasses.dataclass(frozen=True, slots=True)
class FieldOptions:
    """How one field departs from the codec's rules (see the module docstring)."""

    omit_empty: bool = False
    sort: bool = False
    pairs: bool = False
    required: bool = False
    encode: Encode | None = None
    decode: Decode | None = None


_PLAIN = FieldOptions()


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


# -- writing -------------------------------------------------------------------------


def to_data(obj: Any) -> Any:
    """`obj` as JSON-ready data: a dataclass as the dict of its fields (see the module
    docstring for each type); anything else by its value."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        encode = _ENCODERS.get(type(obj)) or _class_encoder(type(obj))
        return encode(obj)
    return _generic(obj)


_ENCODERS: dict[type, Encode] = {}
"""Class -> the function that writes the dict of its fields."""
_NESTED: dict[type, Encode] = {}
"""Class -> how an object of it is written inside another: its own `to_dict`, else the
dict of its fields."""


def _obj(value: Any) -> Any:
    """A dataclass (or an object with its own `to_dict`) inside another, by its class."""
    encode = _NESTED.get(type(value))
    if encode is None:
        encode = _nested_encoder(type(value))
    return encode(value)


def _nested_encoder(cls: type) -> Encode:
    encode: Encode
    if _own_to_dict(cls):
        encode = cls.to_dict  # type: ignore[attr-defined]
    elif dataclasses.is_dataclass(cls):
        encode = _class_encoder(cls)
    else:
        return _generic
    _NESTED[cls] = encode
    return encode


def _generic(value: Any) -> Any:
    """A value written by what it is, where no type hint says more."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    encode = _NESTED.get(kind)
    if encode is not None:
        return encode(value)
    if isinstance(value, list | tuple):
        return [_generic(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _generic(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, PurePath):
        return str(value)
    if _own_to_dict(kind) or dataclasses.is_dataclass(kind):
        return _obj(value)
    return value


def _own_to_dict(cls: type) -> bool:
    method = getattr(cls, "to_dict", None)
    return callable(method) and method is not Serialisable.to_dict


_MAKING_LOCK = threading.RLock()
"""Held while a class's writer or reader is made (once per class)."""
_WRITING: set[type] = set()
"""Classes whose writer is being made (a class that nests itself writes itself later)."""


def _class_encoder(cls: type) -> Encode:
    """Writes the fields of `cls`: generated once per class, like dataclasses' own
    `__init__`, so a field costs what it costs in a hand-written dict."""
    with _MAKING_LOCK:
        made = _ENCODERS.get(cls)
        if made is not None:
            return made
        _WRITING.add(cls)
        try:
            encode = _make_class_encoder(cls)
        finally:
            _WRITING.discard(cls)
        _ENCODERS[cls] = encode
        return encode


def _make_class_encoder(cls: type) -> Encode:
    hints = _hints(cls)
    namespace: dict[str, Any] = {"_obj": _obj, "_generic": _generic}
    entries: list[tuple[str, str, bool]] = []
    for item in _ordered_fields(cls):
        opts = _options(item)
        expr = _field_expr(hints.get(item.name, Any), f"obj.{item.name}", opts, namespace)
        entries.append((item.name, expr, opts.omit_empty))
    lines = ["def encode(obj):", "    data = {"]
    index = 0
    while index < len(entries) and not entries[index][2]:
        lines.append(f"        {entries[index][0]!r}: {entries[index][1]},")
        index += 1
    lines.append("    }")
    for name, expr, omit in entries[index:]:
        if omit:
            lines.append(f"    if obj.{name}:")
            lines.append(f"        data[{name!r}] = {expr}")
        else:
            lines.append(f"    data[{name!r}] = {expr}")
    lines.append("    return data")
    return cast(Encode, _define(cls, "encode", lines, namespace))


def _ordered_fields(cls: type) -> list[dataclasses.Field[Any]]:
    found = {item.name: item for item in dataclasses.fields(cls)}
    order = getattr(cls, "_codec_order", None)
    if order is None:
        return list(found.values())
    if sorted(order) != sorted(found):
        raise ConfigurationError(
            f"{cls.__name__}._codec_order must list each of its fields once: "
            f"{sorted(found)}, not {list(order)}"
        )
    return [found[name] for name in order]


def _field_expr(hint: Any, expr: str, opts: FieldOptions, namespace: dict[str, Any]) -> str:
    """Python source that writes `expr`, a field declared `hint`."""
    if opts.encode is not None:
        name = _bind(namespace, opts.encode)
        return f"{name}({expr})"
    inner = _strip_optional(hint)
    if opts.pairs:
        value = _value_expr(_pair_types(inner)[1], "v_", namespace, 1)
        body = f"dict({expr})" if value == "v_" else f"{{k_: {value} for k_, v_ in {expr}}}"
    elif opts.sort and _origin(inner) in _MAPPINGS:
        value = _value_expr(_args(inner, 2)[1], "v_", namespace, 1)
        items = f"sorted({expr}.items())"
        body = f"dict({items})" if value == "v_" else f"{{k_: {value} for k_, v_ in {items}}}"
    elif opts.sort:
        item = _value_expr(_item_type(inner), "x_", namespace, 1)
        body = f"sorted({expr})" if item == "x_" else f"[{item} for x_ in sorted({expr})]"
    else:
        return _value_expr(hint, expr, namespace, 0)
    return body if inner is hint else f"(None if {expr} is None else {body})"


def _value_expr(hint: Any, expr: str, namespace: dict[str, Any], depth: int) -> str:
    """Python source that writes `expr`, a value declared `hint` (`expr` itself when the
    value is written as it is)."""
    if _is_plain(hint):
        return expr
    origin, args = _origin(hint), get_args(hint)
    if origin is Union:
        rest = [arg for arg in args if arg is not _NONE_TYPE]
        if len(rest) == 1:
            inner = _value_expr(rest[0], expr, namespace, depth)
            return expr if inner == expr else f"(None if {expr} is None else {inner})"
        return f"_generic({expr})"
    if origin in _SEQUENCES and (origin is not tuple or _homogeneous(args)):
        var = f"x{depth}"
        item = _value_expr(args[0] if args else Any, var, namespace, depth + 1)
        return f"list({expr})" if item == var else f"[{item} for {var} in {expr}]"
    if origin is tuple:
        plain = all(_is_plain(arg) for arg in args)
        return f"list({expr})" if plain else f"_generic({expr})"
    if origin in _MAPPINGS:
        key, var = f"k{depth}", f"v{depth}"
        value = _value_expr(args[1] if len(args) == 2 else Any, var, namespace, depth + 1)
        if value == var:
            return f"dict({expr})"
        return f"{{{key}: {value} for {key}, {var} in {expr}.items()}}"
    if origin is np.ndarray:
        return f"{expr}.tolist()"
    if isinstance(hint, type):
        if issubclass(hint, PurePath):
            return f"str({expr})"
        if _own_to_dict(hint):
            return f"{expr}.to_dict()"
        if dataclasses.is_dataclass(hint) and hint not in _WRITING:
            encode = _bind(namespace, _ENCODERS.get(hint) or _class_encoder(hint))
            kind = _bind(namespace, hint)
            return f"({encode}({expr}) if type({expr}) is {kind} else _obj({expr}))"
        if dataclasses.is_dataclass(hint):
            return f"_obj({expr})"
    return f"_generic({expr})"


# -- reading -------------------------------------------------------------------------


def from_data(cls: type[T], data: Any) -> T:
    """An instance of the dataclass `cls` read from `data` (what `to_data` writes; see
    the module docstring). Raises `ConfigurationError` naming the class and the field
    when `data` does not fit."""
    decode = _DECODERS.get(cls) or _class_decoder(cls)
    try:
        return cast(T, decode(data))
    except _Invalid as exc:
        raise ConfigurationError(exc.explain(cls)) from None


_DECODERS: dict[type, Decode] = {}
"""Class -> the function that reads it from a dict of its fields."""


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


class _Invalid(Exception):
    """A value that does not fit where it is; `from_data` explains it as a
    `ConfigurationError`, with the path to it."""

    def __init__(self, problem: str, *, missing: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.missing = missing
        self.path: list[str] = []
        """Innermost first: field names, "[index]" and "[key]"."""
        self.owner = ""
        """The class and field the value belongs to ("Evidence.sections")."""

    def within(self, cls: str, name: str) -> _Invalid:
        if not self.owner:
            self.owner = f"{cls}.{name}"
        self.path.append(name)
        return self

    def at(self, step: str) -> _Invalid:
        self.path.append(step)
        return self

    def explain(self, cls: type) -> str:
        where = ""
        for step in reversed(self.path):
            where += step if step.startswith("[") or not where else f".{step}"
        if not where:
            return f"cannot read {cls.__name__}: {self.problem}"
        place = f"'{where}'"
        if self.owner not in (f"{cls.__name__}.{where}", ""):
            place += f" ({self.owner})"
        if self.missing:
            return f"cannot read {cls.__name__}: required field {place} is missing"
        return f"cannot read {cls.__name__}: field {place}: {self.problem}"


def _kind(value: Any) -> str:
    """What a JSON value is, for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _as_str(value: Any) -> Any:
    if type(value) is str:
        return value
    if type(value) is int or type(value) is float:
        return str(value)
    raise _Invalid(f"expected text, got {_kind(value)}")


def _as_int(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, int | float | str):
        try:
            return int(value)
        except (ValueError, OverflowError):
            pass
    raise _Invalid(f"expected an integer, got {_kind(value)}")


def _as_float(value: Any) -> Any:
    if type(value) is float:
        return value
    if isinstance(value, int | float | str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Invalid(f"expected a number, got {_kind(value)}")


def _as_bool(value: Any) -> Any:
    if type(value) is bool:
        return value
    if type(value) is int or type(value) is float:
        return bool(value)
    raise _Invalid(f"expected true or false, got {_kind(value)}")


def _as_scalar(allowed: tuple[Any, ...], value: Any) -> Any:
    if value is None or type(value) in _SCALARS:
        return value
    raise _Invalid(f"expected one of {list(allowed)}, got {_kind(value)}")


_SCALAR_READERS: dict[Any, Decode] = {
    str: _as_str,
    int: _as_int,
    float: _as_float,
    bool: _as_bool,
}


def _sequence(value: Any) -> Sequence[Any]:
    if type(value) is list or isinstance(value, list | tuple):
        return cast(Sequence[Any], value)
    raise _Invalid(f"expected a list, got {_kind(value)}")


def _mapping(value: Any) -> Mapping[Any, Any]:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise _Invalid(f"expected an object, got {_kind(value)}")


def _items(item: Decode, value: Any) -> list[Any]:
    found = _sequence(value)
    try:
        return [item(x) for x in found]
    except _Invalid:
        for index, x in enumerate(found):  # only to say which item: read them again
            try:
                item(x)
            except _Invalid as exc:
                raise exc.at(f"[{index}]") from None
        raise


def _list_of(item: Decode | None, value: Any) -> list[Any]:
    return list(_sequence(value)) if item is None else _items(item, value)


def _tuple_of(item: Decode | None, value: Any) -> tuple[Any, ...]:
    return tuple(_sequence(value)) if item is None else tuple(_items(item, value))


def _fixed_tuple(items: tuple[Decode | None, ...], value: Any) -> tuple[Any, ...]:
    found = _sequence(value)
    if len(found) != len(items):
        raise _Invalid(f"expected a list of {len(items)} items, got {len(found)}")
    made = []
    for index, (read, x) in enumerate(zip(items, found, strict=True)):
        try:
            made.append(x if read is None else read(x))
        except _Invalid as exc:
            raise exc.at(f"[{index}]") from None
    return tuple(made)


def _dict_of(read: Decode | None, value: Any) -> dict[Any, Any]:
    found = _mapping(value)
    if read is None:
        return dict(found)
    try:
        return {key: read(x) for key, x in found.items()}
    except _Invalid:
        for key, x in found.items():
            try:
                read(x)
            except _Invalid as exc:
                raise exc.at(f"[{json.dumps(key)}]") from None
        raise


def _pairs_of(key: Decode | None, read: Decode | None, value: Any) -> tuple[Any, ...]:
    found = _mapping(value)
    made = []
    for k, x in found.items():
        try:
            made.append((k if key is None else key(k), x if read is None else read(x)))
        except _Invalid as exc:
            raise exc.at(f"[{json.dumps(k)}]") from None
    return tuple(made)


def _array(dtype: Any, value: Any) -> Any:
    if not isinstance(value, list | tuple | np.ndarray):
        raise _Invalid(f"expected a list of numbers, got {_kind(value)}")
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"expected a list of numbers: {exc}") from None


def _path(cls: type, value: Any) -> Any:
    if isinstance(value, str):
        return cls(value)
    raise _Invalid(f"expected a path, got {_kind(value)}")


def _outside(read: Callable[[Any], Any], what: str, value: Any) -> Any:
    """A class's own `from_dict`, or a field's own `decode`: their errors as ours."""
    try:
        return read(value)
    except _Invalid:
        raise
    except ConfigurationError as exc:
        raise _Invalid(str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise _Invalid(f"not a valid {what}: {type(exc).__name__}: {exc}") from None


def _own_reader(cls: type) -> Decode:
    """Reads a class with its own `from_dict` (`ToolCall`, `Message`...)."""
    return functools.partial(_own, cls.from_dict, cls.__name__)  # type: ignore[attr-defined]


def _own(read: Decode, name: str, value: Any) -> Any:
    return _outside(read, name, _mapping(value))


def _has_own_from_dict(cls: type) -> bool:
    method = getattr(cls, "from_dict", None)
    return callable(method) and getattr(method, "__func__", None) is not _SERIALISABLE_FROM_DICT


_MAKING: set[type] = set()
"""Classes whose reader is being made (a class that nests itself reads itself later)."""


def _nested(cls: type) -> Decode:
    """Reads a dataclass inside another."""
    made = _DECODERS.get(cls)
    if made is not None:
        return made
    if cls not in _MAKING:
        return _class_decoder(cls)
    later: list[Decode] = []

    def decode(value: Any) -> Any:
        if not later:
            later.append(_DECODERS.get(cls) or _class_decoder(cls))
        return later[0](value)

    return decode


def _reader(hint: Any, where: str) -> Decode | None:
    """The function that reads a value declared `hint`, item by item, saying where a
    value does not fit (None: the value is taken as it is)."""
    if hint is Any or hint is object:
        return None
    scalar = _SCALAR_READERS.get(hint)
    if scalar is not None:
        return scalar
    if hint is _NONE_TYPE:
        return None
    origin, args = _origin(hint), get_args(hint)
    if origin is Literal:
        return functools.partial(_as_scalar, args)
    if origin is Union:
        rest = [arg for arg in args if arg is not _NONE_TYPE]
        if len(rest) == 1:
            inner = _reader(rest[0], where)
            return None if inner is None else functools.partial(_or_none, inner)
        if all(arg in _SCALARS for arg in rest):
            return functools.partial(_as_scalar, tuple(arg.__name__ for arg in rest))
    elif origin is tuple and args and not _homogeneous(args):
        return functools.partial(_fixed_tuple, tuple(_reader(arg, where) for arg in args))
    elif origin in _SEQUENCES:
        item = _reader(args[0] if args else Any, where)
        return functools.partial(_list_of if origin is list else _tuple_of, item)
    elif origin in _MAPPINGS:
        return functools.partial(_dict_of, _reader(args[1] if len(args) == 2 else Any, where))
    elif origin is np.ndarray:
        return functools.partial(_array, _dtype(args))
    elif isinstance(hint, type):
        if issubclass(hint, PurePath):
            return functools.partial(_path, hint)
        if _has_own_from_dict(hint):
            return _own_reader(hint)
        if dataclasses.is_dataclass(hint):
            return _nested(hint)
    raise ConfigurationError(
        f"the codec cannot read {where} (declared {hint!r}); give the field "
        "options(decode=...) or its class a from_dict"
    )


def _or_none(read: Decode, value: Any) -> Any:
    return None if value is None else read(value)


def _dtype(args: tuple[Any, ...]) -> Any:
    """The dtype `npt.NDArray[np.float64]` names; float32 when it names none."""
    if len(args) == 2:
        inner = get_args(args[1])
        if inner and isinstance(inner[0], type) and issubclass(inner[0], np.generic):
            return inner[0]
    return np.float32


def _class_decoder(cls: type) -> Decode:
    """Reads `cls` from a dict of its fields: generated once per class. Each field is
    read by source written for its type (a list of dataclasses is one comprehension);
    only when a value does not fit is it read again, item by item, to say where."""
    if not dataclasses.is_dataclass(cls):
        raise ConfigurationError(f"the codec reads dataclasses, not {cls!r}")
    with _MAKING_LOCK:
        made = _DECODERS.get(cls)
        if made is not None:
            return made
        _MAKING.add(cls)
        try:
            decode = _make_class_decoder(cls)
        finally:
            _MAKING.discard(cls)
        _DECODERS[cls] = decode
        return decode


def _make_class_decoder(cls: type) -> Decode:
    hints = _hints(cls)
    careful: dict[str, Decode | None] = {}
    namespace: dict[str, Any] = {
        "M": _MISSING,
        "Mapping": Mapping,
        "_Invalid": _Invalid,
        "_kind": _kind,
        "_explain": _explain,
        "_refused": _refused,
        "cls": cls,
        "careful": careful,
        **{reader.__name__: reader for reader in _SCALAR_READERS.values()},
    }
    lines = [
        "def decode(data):",
        "    if type(data) is not dict and not isinstance(data, Mapping):",
        "        raise _Invalid('expected an object, got ' + _kind(data))",
        "    get = data.get",
        "    kw = {}",
        "    f = ''",
        "    try:",
    ]
    for item in dataclasses.fields(cls):
        if not item.init:
            continue
        opts = _options(item)
        hint = hints.get(item.name, Any)
        name = item.name
        where = f"{cls.__name__}.{name}"
        expr, inner, careful[name] = _read_expr(hint, opts, namespace, where)
        lines.append(f"        f = {name!r}")
        if opts.required or (
            item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        ):
            lines += [
                f"        v = get({name!r}, M)",
                "        if v is M:",
                "            raise _Invalid('missing', missing=True)",
                f"        kw[{name!r}] = {expr}",
            ]
        elif not _takes_none(hint) or (item.default is None and inner is not None):
            # missing and null alike leave the default (None, for a field that takes it)
            lines += [
                f"        v = get({name!r})",
                "        if v is not None:",
                f"            kw[{name!r}] = {inner or expr}",
            ]
        else:
            lines += [
                f"        v = get({name!r}, M)",
                "        if v is not M:",
                f"            kw[{name!r}] = {expr}",
            ]
    lines += [
        "    except _Invalid as exc:",
        f"        raise _explain(exc, {cls.__name__!r}, f, careful.get(f), v) from None",
        "    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:",
        "        # a class's own from_dict, called as it is: read again, carefully, to say why",
        f"        raise _explain(_Invalid(repr(exc)), {cls.__name__!r}, f, careful.get(f), v)",
        "    try:",
        "        return cls(**kw)",
        "    except (ValueError, TypeError) as exc:",
        "        raise _refused(cls, exc) from None",
    ]
    return cast(Decode, _define(cls, "decode", lines, namespace))


def _explain(exc: _Invalid, cls: str, name: str, careful: Decode | None, value: Any) -> _Invalid:
    """The error of field `name`, read again with its careful reader to say which item
    of a list or a mapping does not fit."""
    if careful is not None and (exc.path or not exc.missing):  # not a missing field
        try:
            careful(value)
        except _Invalid as better:
            exc = better
    return exc.within(cls, name)


def _refused(cls: type, exc: Exception) -> _Invalid:
    """The class refused the values (its `__post_init__`): said as the codec's error."""
    if isinstance(exc, ConfigurationError):
        return _Invalid(str(exc))
    return _Invalid(f"{cls.__name__}: {type(exc).__name__}: {exc}")


def _read_expr(
    hint: Any, opts: FieldOptions, namespace: dict[str, Any], where: str
) -> tuple[str, str | None, Decode | None]:
    """Python source that reads `v`, the value of a field declared `hint`; the source
    for a `v` known not to be None, if it differs; the careful reader that says where the
    value does not fit."""
    if opts.decode is not None:
        custom = functools.partial(_outside, opts.decode, where)
        return f"{_bind(namespace, custom)}(v)", None, None
    if opts.pairs:
        inner = _strip_optional(hint)
        key, value = (_reader(arg, where) for arg in _pair_types(inner))
        read: Decode = functools.partial(_pairs_of, key, value)
        source = f"{_bind(namespace, read)}(v)"
        if inner is hint:
            return source, None, None
        return f"(None if v is None else {source})", source, None
    careful = _reader(hint, where)
    inner = _strip_optional(hint)
    fast = _read_source(inner, "v", namespace, where)
    if fast is None and careful is None:
        return "v", None, None
    if fast is None and inner is hint:
        return f"{_bind(namespace, careful)}(v)", None, careful
    source = fast or f"{_bind(namespace, _reader(inner, where))}(v)"
    if inner is hint or source == "v":
        return source, None, careful
    return f"(None if v is None else {source})", source, careful


def _read_source(hint: Any, var: str, namespace: dict[str, Any], where: str) -> str | None:
    """Source that reads `var` quickly in the common case (a scalar of its type, a list
    of dataclasses, a dict of plain values); None where the reader is called as it is."""
    if hint is Any or hint is object:
        return var
    if hint in _SCALAR_READERS:
        reader = _SCALAR_READERS[hint].__name__
        return f"({var} if type({var}) is {hint.__name__} else {reader}({var}))"
    origin, args = _origin(hint), get_args(hint)
    if origin is Literal:
        allowed = _bind(namespace, functools.partial(_as_scalar, args))
        return f"({var} if type({var}) is str else {allowed}({var}))"
    if origin in _SEQUENCES and (origin is not tuple or _homogeneous(args)):
        item_hint = args[0] if args else Any
        test = f"type({var}) is list"
        if item_hint in _SCALAR_READERS:  # all of the type already: taken as they are
            test += f" and {_bind(namespace, frozenset({item_hint}))}.issuperset(map(type, {var}))"
            item: str | None = "x"
        else:
            item = _item_source(item_hint, "x", namespace, where)
        if item is None:
            return None
        if item == "x":
            made = f"list({var})" if origin is list else f"tuple({var})"
        else:
            made = f"[{item} for x in {var}]"
            made = made if origin is list else f"tuple({made})"
        return f"({made} if {test} else {_bind(namespace, _reader(hint, where))}({var}))"
    if origin in _MAPPINGS:
        value_hint = args[1] if len(args) == 2 else Any
        test = f"type({var}) is dict"
        if value_hint in _SCALAR_READERS:
            kinds = _bind(namespace, frozenset({value_hint}))
            test += f" and {kinds}.issuperset(map(type, {var}.values()))"
            item = "x"
        else:
            item = _item_source(value_hint, "x", namespace, where)
        if item is None:
            return None
        made = f"dict({var})" if item == "x" else f"{{k: {item} for k, x in {var}.items()}}"
        return f"({made} if {test} else {_bind(namespace, _reader(hint, where))}({var}))"
    if isinstance(hint, type) and _has_own_from_dict(hint):
        return f"{_bind(namespace, hint.from_dict)}({var})"  # type: ignore[attr-defined]
    return None


def _item_source(hint: Any, var: str, namespace: dict[str, Any], where: str) -> str | None:
    """Source that reads one item of a list or value of a mapping: as it is, or one call
    (None: the item needs more, the careful reader reads the whole)."""
    if hint is Any or hint is object:
        return var
    if isinstance(hint, type) and _has_own_from_dict(hint):
        return f"{_bind(namespace, hint.from_dict)}({var})"  # type: ignore[attr-defined]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return f"{_bind(namespace, _nested(hint))}({var})"
    return None


# -- the mixin -----------------------------------------------------------------------


class Serialisable:
    """Gives a dataclass `to_dict()` and `from_dict()` through the codec."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the dict of the fields (`agentsdk.codec.to_data`)."""
        encode = _ENCODERS.get(type(self)) or _class_encoder(type(self))
        return cast(dict[str, Any], encode(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The inverse of `to_dict` (`agentsdk.codec.from_data`); `ConfigurationError`
        naming the field when `data` does not fit."""
        return from_data(cls, data)


_SERIALISABLE_FROM_DICT = Serialisable.__dict__["from_dict"].__func__


# -- type hints ----------------------------------------------------------------------


class _Unresolved:
    """A type hint that names something not importable at run time (TYPE_CHECKING)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text} (not resolvable at run time)"


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except (NameError, AttributeError, TypeError):
        pass
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):  # each hint on its own: most resolve
        module = sys.modules.get(klass.__module__)
        scope = dict(vars(module)) if module is not None else {}
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if isinstance(hint, str):
                try:
                    hint = eval(hint, scope, dict(vars(klass)))  # what get_type_hints does
                except (NameError, AttributeError, TypeError, SyntaxError):
                    hint = _Unresolved(hint)
            found[name] = hint
    return found


def _origin(hint: Any) -> Any:
    origin = get_origin(hint)
    if origin is types.UnionType:
        return Union
    if origin is None and (hint in _SEQUENCES or hint in _MAPPINGS):
        return hint
    return origin


def _args(hint: Any, count: int) -> tuple[Any, ...]:
    args = get_args(hint)
    return args if len(args) == count else (Any,) * count


def _homogeneous(args: tuple[Any, ...]) -> bool:
    """`tuple[X, ...]` (not `tuple[X, Y]`)."""
    return len(args) == 2 and args[1] is Ellipsis


def _item_type(hint: Any) -> Any:
    args = get_args(hint)
    return args[0] if args else Any


def _pair_types(hint: Any) -> tuple[Any, Any]:
    """(K, V) of `tuple[tuple[K, V], ...]`."""
    pair = _item_type(hint)
    args = get_args(pair)
    return (args[0], args[1]) if len(args) == 2 else (Any, Any)


def _strip_optional(hint: Any) -> Any:
    """X of `X | None`; `hint` itself otherwise."""
    if _origin(hint) is Union:
        rest = [arg for arg in get_args(hint) if arg is not _NONE_TYPE]
        if len(rest) == 1 and len(get_args(hint)) == 2:
            return rest[0]
    return hint


def _takes_none(hint: Any) -> bool:
    if hint is Any or hint is object or hint is _NONE_TYPE:
        return True
    if _origin(hint) in (Union, Literal):
        return None in get_args(hint) or _NONE_TYPE in get_args(hint)
    return False


def _is_plain(hint: Any) -> bool:
    """Written as it is: scalars, Literal, Any, and unions of them."""
    if hint is Any or hint is object or hint in _SCALARS:
        return True
    origin = _origin(hint)
    if origin is Literal:
        return True
    if origin is Union:
        return all(_is_plain(arg) for arg in get_args(hint))
    return False


def _options(item: dataclasses.Field[Any]) -> FieldOptions:
    found = item.metadata.get(_KEY, _PLAIN)
    return found if isinstance(found, FieldOptions) else _PLAIN


# -- generated functions -------------------------------------------------------------


def _bind(namespace: dict[str, Any], value: Any) -> str:
    name = f"_f{len(namespace)}"
    namespace[name] = value
    return name


_BUILTINS = {
    item.__name__: item
    for item in (dict, list, tuple, type, str, int, float, bool, isinstance, map)
}


def _define(cls: type, name: str, lines: list[str], namespace: dict[str, Any]) -> Any:
    """The function `lines` define, made (as dataclasses makes `__init__`) inside a
    function that takes every name it uses, so that it reads them as fast locals."""
    names = {**_BUILTINS, **namespace}
    source = "\n".join(
        [f"def make({', '.join(names)}):", *(f"    {line}" for line in lines), f"    return {name}"]
    )
    scope: dict[str, Any] = {}
    exec(compile(source, f"<agentsdk.codec {name} {cls.__qualname__}>", "exec"), scope)
    return scope["make"](**names)
