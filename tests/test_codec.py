"""The codec: dataclasses to JSON-ready data and back, from their type hints."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pytest

from agentsdk.codec import Serialisable, from_data, options, to_data
from agentsdk.errors import ConfigurationError
from agentsdk.hitl.approvals import Decision, Evidence, EvidenceSection, Interruption
from agentsdk.messages import ToolCall


@dataclass(frozen=True, slots=True)
class Point(Serialisable):
    x: float
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class Shape(Serialisable):
    name: str
    points: tuple[Point, ...] = ()
    tags: tuple[str, ...] = ()
    centre: Point | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    kind: Literal["open", "closed"] = "open"
    count: int = 0
    visible: bool = True
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Embedded(Serialisable):
    vector: npt.NDArray[np.float32] | None = field(default=None, compare=False)
    size: tuple[int, int] | None = None
    where: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WithCall(Serialisable):
    call: ToolCall
    calls: tuple[ToolCall, ...] = ()
    by_id: Mapping[str, Point] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Options(Serialisable):
    _codec_order: ClassVar[tuple[str, ...]] = ("last", "pins", "skip", "weights", "label")

    pins: Mapping[str, str] = field(default_factory=dict, metadata=options(sort=True))
    skip: tuple[str, ...] = field(default=(), metadata=options(sort=True))
    weights: tuple[tuple[str, int], ...] = field(default=(), metadata=options(pairs=True))
    label: str = field(default="", metadata=options(omit_empty=True))
    last: int = field(default=0, metadata=options(required=True))


@dataclass
class Plain:
    """No mixin: read and written with the functions."""

    items: list[Point]
    pairs: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Checked(Serialisable):
    level: int

    def __post_init__(self) -> None:
        if self.level < 0:
            raise ConfigurationError(f"level must not be negative, got {self.level}")


@dataclass
class Node(Serialisable):
    name: str
    children: list[Node] = field(default_factory=list)


def _shape() -> Shape:
    return Shape(
        name="square",
        points=(Point(0.0, 0.0), Point(1.0), Point(1.0, 1.0)),
        tags=("a", "b"),
        centre=Point(0.5, 0.5),
        scores={"area": 1.0},
        extra={"nested": {"list": [1, 2]}},
        kind="closed",
        count=3,
        note="n",
    )


def test_a_nested_dataclass_round_trips_in_field_order() -> None:
    shape = _shape()
    data = shape.to_dict()
    assert list(data) == [
        "name",
        "points",
        "tags",
        "centre",
        "scores",
        "extra",
        "kind",
        "count",
        "visible",
        "note",
    ]
    assert data["points"] == [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 0.0}, {"x": 1.0, "y": 1.0}]
    assert data["tags"] == ["a", "b"] and data["centre"] == {"x": 0.5, "y": 0.5}
    assert Shape.from_dict(data) == shape
    assert Shape.from_dict(json.loads(json.dumps(data))) == shape
    assert to_data(shape) == data and from_data(Shape, data) == shape


def test_values_declared_any_are_left_as_they_are() -> None:
    extra = {"nested": {"list": [1, 2]}, "box": (1, 2)}
    data = Shape("s", extra=extra).to_dict()
    assert data["extra"] == extra and data["extra"]["box"] == (1, 2)  # the tuple stays
    assert data["extra"] is not extra  # a copy of the mapping itself


def test_optional_fields_and_none() -> None:
    bare = Shape("dot")
    data = bare.to_dict()
    assert data["centre"] is None and data["note"] is None
    assert Shape.from_dict(data) == bare
    assert Shape.from_dict({"name": "dot", "centre": None, "note": None}) == bare


def test_missing_keys_and_nulls_take_the_defaults() -> None:
    assert Shape.from_dict({"name": "dot"}) == Shape("dot")
    assert Shape.from_dict({"name": "dot", "points": None, "tags": None, "count": None}) == Shape(
        "dot"
    )


def test_unknown_keys_are_ignored() -> None:
    assert Point.from_dict({"x": 1, "y": 2, "z": 3, "colour": "red"}) == Point(1.0, 2.0)


def test_numbers_are_coerced_like_the_hand_written_readers() -> None:
    point = Point.from_dict({"x": 1, "y": "2.5"})
    assert point == Point(1.0, 2.5) and type(point.x) is float
    shape = Shape.from_dict({"name": 7, "count": 4.0, "visible": 0})
    assert shape.name == "7" and shape.count == 4 and type(shape.count) is int
    assert shape.visible is False


def test_numpy_arrays_fixed_tuples_and_paths() -> None:
    item = Embedded(np.array([0.6, 0.8], np.float32), (40, 30), Path("/x/y.png"))
    data = item.to_dict()
    assert data == {
        "vector": [0.6000000238418579, 0.800000011920929],
        "size": [40, 30],
        "where": "/x/y.png",
    }
    again = Embedded.from_dict(json.loads(json.dumps(data)))
    assert again.vector is not None and again.vector.dtype == np.float32
    assert np.array_equal(again.vector, item.vector)
    assert again.size == (40, 30)  # a tuple of a fixed size: a tuple, items as they are
    assert isinstance(again.where, str) and again.where == "/x/y.png"  # a path: its text
    assert Embedded.from_dict({}) == Embedded()


def test_a_class_with_its_own_from_dict_is_read_with_it() -> None:
    call = ToolCall("pay", {"amount": 3}, id="c1")
    item = WithCall(call=call, calls=(call, call), by_id={"a": Point(1.0)})
    data = item.to_dict()
    assert data["call"] == call.to_dict()  # ToolCall writes the OpenAI format itself
    assert data["by_id"] == {"a": {"x": 1.0, "y": 0.0}}
    assert WithCall.from_dict(json.loads(json.dumps(data))) == item
    # ToolCall.from_dict takes arguments as a JSON string too (its own format)
    loose = {"call": {"id": "c2", "function": {"name": "f", "arguments": '{"x": 1}'}}}
    assert WithCall.from_dict(loose).call.arguments == {"x": 1}


def test_the_per_field_options() -> None:
    made = Options(pins={"b": "2", "a": "1"}, skip=("z", "y"), weights=(("cpu", 3),), last=1)
    data = made.to_dict()
    assert list(data) == ["last", "pins", "skip", "weights"]  # the order, no empty label
    assert list(data["pins"]) == ["a", "b"] and data["skip"] == ["y", "z"]
    assert data["weights"] == {"cpu": 3}
    again = Options.from_dict(data)
    assert again.weights == (("cpu", 3),) and again.skip == ("y", "z") and again.label == ""
    assert Options(label="x", last=1).to_dict()["label"] == "x"
    with pytest.raises(ConfigurationError, match="required field 'last' is missing"):
        Options.from_dict({"pins": {}})


def test_a_plain_dataclass_without_the_mixin() -> None:
    plain = Plain([Point(1.0, 2.0)], [(1, "a")])
    data = to_data(plain)
    assert data == {"items": [{"x": 1.0, "y": 2.0}], "pairs": [[1, "a"]]}
    assert from_data(Plain, json.loads(json.dumps(data))) == plain


def test_a_missing_required_field_names_the_class_and_the_field() -> None:
    with pytest.raises(ConfigurationError, match=r"cannot read Point: required field 'x'"):
        Point.from_dict({"y": 1})
    with pytest.raises(ConfigurationError) as caught:
        Shape.from_dict({"name": "s", "points": [{"x": 1}, {"y": 2}]})
    assert str(caught.value) == (
        "cannot read Shape: required field 'points[1].x' (Point.x) is missing"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "cannot read Shape: expected an object, got a list"),
        ({"name": ["a"]}, "field 'name': expected text, got a list"),
        ({"name": "s", "points": {"x": 1}}, "field 'points': expected a list, got an object"),
        (
            {"name": "s", "points": [[1, 2]]},
            r"field 'points\[0\]' \(Shape.points\): expected an object",
        ),
        ({"name": "s", "centre": [1, 2]}, "field 'centre': expected an object, got a list"),
        ({"name": "s", "centre": {"x": "far"}}, r"'centre.x' \(Point.x\): expected a number"),
        ({"name": "s", "scores": {"area": "big"}}, r"'scores\[\"area\"\]' .*expected a number"),
        ({"name": "s", "tags": "ab"}, "field 'tags': expected a list, got the text 'ab'"),
        ({"name": "s", "count": "many"}, "field 'count': expected an integer"),
        ({"name": "s", "visible": "yes"}, "field 'visible': expected true or false"),
        ({"name": "s", "tags": ["a", None]}, r"field 'tags\[1\]' \(Shape.tags\): expected text"),
    ],
)
def test_a_value_of_the_wrong_shape_gets_a_clear_error(data: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Shape.from_dict(data)


def test_errors_of_a_nested_own_from_dict_and_of_the_class_itself() -> None:
    with pytest.raises(ConfigurationError, match=r"field 'calls\[1\]' \(WithCall.calls\)"):
        WithCall.from_dict(
            {"call": {"function": {"name": "f"}}, "calls": [{"function": {"name": "f"}}, 3]}
        )
    with pytest.raises(ConfigurationError, match="cannot read Checked: level must not be negative"):
        Checked.from_dict({"level": -1})
    with pytest.raises(ConfigurationError, match="field 'size': expected a list, got the text"):
        Embedded.from_dict({"size": "ab"})
    with pytest.raises(ConfigurationError, match="expected a list of numbers"):
        Embedded.from_dict({"vector": ["a"]})


def test_a_hint_without_a_rule_takes_the_value_as_it_is() -> None:
    @dataclass
    class Odd:
        thing: threading.Event
        either: int | str = 0

    event = threading.Event()
    assert to_data(Odd(event, "a")) == {"thing": event, "either": "a"}  # written by value
    assert from_data(Odd, {"thing": 1, "either": "b"}) == Odd(1, "b")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="reads dataclasses"):
        from_data(dict, {})


def test_a_literal_is_read_as_it_is_for_its_class_to_check() -> None:
    assert Shape.from_dict({"name": "s", "kind": "other"}).to_dict()["kind"] == "other"
    with pytest.raises(ConfigurationError, match="unknown decision 'nope'"):
        Decision.from_dict({"action": "nope"})


def test_the_error_names_the_class_the_field_and_the_path_in_the_data() -> None:
    section = EvidenceSection(1, "ocr", "ocr", "m", 0.5, None, "p1", "TOTAL 15.50")
    interruption = Interruption(kind="tool", evidence=Evidence(reason="r", sections=(section,)))
    data = interruption.to_dict()
    assert Interruption.from_dict(json.loads(json.dumps(data))) == interruption
    data["evidence"]["sections"][0]["confidence"] = "high"
    with pytest.raises(ConfigurationError) as caught:
        Interruption.from_dict(data)
    assert str(caught.value) == (
        "cannot read Interruption: field 'evidence.sections[0].confidence' "
        "(EvidenceSection.confidence): expected a number, got the text 'high'"
    )


def test_a_wrong_codec_order_is_refused() -> None:
    @dataclass
    class Bad(Serialisable):
        _codec_order: ClassVar[tuple[str, ...]] = ("a",)
        a: int
        b: int

    with pytest.raises(ConfigurationError, match="must list each of its fields once"):
        Bad(1, 2).to_dict()


def test_a_class_that_nests_itself() -> None:
    tree = Node("a", [Node("b", [Node("c")]), Node("d")])
    data = tree.to_dict()
    assert data["children"][0]["children"][0] == {"name": "c", "children": []}
    assert Node.from_dict(data) == tree


def test_to_data_of_plain_values() -> None:
    assert to_data({"a": (1, 2), "p": Point(1.0)}) == {"a": [1, 2], "p": {"x": 1.0, "y": 0.0}}
    assert to_data([np.float32(0.5), Path("a")]) == [0.5, "a"]
    assert to_data("x") == "x" and to_data(None) is None
