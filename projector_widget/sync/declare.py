"""The language the kernel<->browser contract is declared in, and its three readings.

protocol.py declares every request, every reply and the ``_spec`` value once, each as a frozen
dataclass whose fields are its JSON fields; a message's class attribute ``type`` is its wire
name. This module reads a declaration three ways, so that no rule is written twice:

* :func:`parse` builds a request from what the browser sent, or raises :class:`ProtocolError`
  naming the field and what it must be (the text the user reads on the page);
* :func:`to_json` writes a reply or the spec as the JSON value the browser receives;
* :func:`definitions` writes declarations as JSON Schema (draft-07), from which
  ``scripts/contract.py`` generates the TypeScript types.

A field's type gives its JSON type; a field with a default may be left out of a message:

=============================  =================================================
``int``                        an integer, never a boolean
``float``                      a finite number
``str``, ``bool``              a string, a boolean
``Literal["a", "b"]``          one of these strings
``X | None``                   X or null
``tuple[X, Y]``                an array of exactly these items
``tuple[X, ...]``, ``list[X]`` an array of X
``dict[str, X]``               an object whose values are X
``Any``                        any JSON value
a declared dataclass           an object (its own definition in the schema)
=============================  =================================================

``typing.Annotated`` adds what the type cannot say: :class:`Range` (bounds of a number),
:class:`Length` (how many items), :class:`Unique` (no item twice), :class:`Rule` (a condition
JSON Schema cannot state: checked by the parser, written into the schema as a description),
:class:`Shape` (how messages spell the value, and what one item of an array is called) and
:class:`EmptyMeans` (what an empty string stands for). For example::

    Tile = Annotated[
        tuple[int, int, int],
        Shape("[z, x, y]", noun="tile"),
        Rule(in_quadtree, need="0 <= z <= 16, 0 <= x, y < 2**z", fails="is outside the quadtree"),
    ]

    @dataclasses.dataclass(frozen=True)
    class Tiles:
        type: ClassVar[str] = "tiles"
        version: int
        tiles: Annotated[tuple[Tile, ...], Length(1, 64), Unique("is asked for twice")]

parses ``{"type": "tiles", "version": 3, "tiles": [[0, 0, 0]]}`` into ``Tiles(3, ((0, 0, 0),))``
and refuses ``"tiles": []`` with "'tiles' message: 'tiles' must be a list of 1 to 64 [z, x, y]",
``[[1, 0, true]]`` with "a tile must be 3 integers [z, x, y], got [1, 0, True]" and
``[[2, 4, 0]]`` with "tile [2, 4, 0] is outside the quadtree (need 0 <= z <= 16, ...)". A
field's JSON shape is checked first (types, lengths, choices), then its rules, each part before
the whole. Fields a declaration does not name are ignored. So a message parses exactly when the
schema accepts it and it keeps every :class:`Rule` (tests/test_contract.py checks this).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
import reprlib
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from projector_widget.util import nesting

T = TypeVar("T")


class ProtocolError(ValueError):
    """A message that does not follow its declaration (wrong type or field)."""


# ----------------------------------------------------------------------------- markers
@dataclasses.dataclass(frozen=True)
class Range:
    """Inclusive bounds of a number (``minimum`` and ``maximum`` in the schema)."""

    low: float | None = None
    high: float | None = None

    def holds(self, value: float) -> bool:
        """Whether ``value`` is within the bounds."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclasses.dataclass(frozen=True)
class Length:
    """How many items an array holds, ``low`` to ``high`` (``minItems``, ``maxItems``)."""

    low: int | None = None
    high: int | None = None

    def holds(self, size: int) -> bool:
        """Whether an array of ``size`` items has an allowed length."""
        return (self.low is None or size >= self.low) and (self.high is None or size <= self.high)

    def words(self) -> str:
        """The allowed lengths before a plural noun ("1 to 64 ", "at least 3 ", "")."""
        if self.low is not None and self.high is not None:
            return f"{self.low} to {self.high} "
        if self.low is not None:
            return f"at least {self.low} "
        return "" if self.high is None else f"at most {self.high} "


@dataclasses.dataclass(frozen=True)
class Unique:
    """No item twice (``uniqueItems``); ``fails`` ends the message about the repeated one."""

    fails: str


@dataclasses.dataclass(frozen=True)
class Rule:
    """A condition on a value of the right shape that JSON Schema cannot state (``x < 2**z``).

    ``check`` receives the JSON value; one that breaks the rule is refused with "<value>
    ``fails`` (need ``need``)". The schema carries "need ``need``" as a description.
    """

    check: Callable[[Any], bool]
    need: str
    fails: str


@dataclasses.dataclass(frozen=True)
class Shape:
    """How messages and the schema spell the value (``"[z, x, y]"``); ``noun`` names one item
    of an array in messages about that item ("a tile must be ...")."""

    text: str
    noun: str | None = None


@dataclasses.dataclass(frozen=True)
class EmptyMeans:
    """A string field whose empty value stands for ``value`` (a search's column: None)."""

    value: Any


# ----------------------------------------------------------------------------- declarations
@dataclasses.dataclass(frozen=True)
class Field:
    """One JSON field of a declaration: its name, type and default (``MISSING``: required)."""

    name: str
    annotation: Any
    default: Any = dataclasses.MISSING

    @property
    def required(self) -> bool:
        """Whether a message must hold this field."""
        return self.default is dataclasses.MISSING


def fields(cls: type) -> tuple[Field, ...]:
    """The JSON fields of the declaration ``cls``, in declaration order."""
    return _fields(cls)


@functools.cache
def _fields(cls: type) -> tuple[Field, ...]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a declaration (a dataclass)")
    hints = get_type_hints(cls, include_extras=True)
    out = []
    for f in dataclasses.fields(cls):
        default: Any = f.default
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        out.append(Field(f.name, hints[f.name], default))
    return tuple(out)


def _wire_name(cls: type) -> str | None:
    """The ``type`` a message of ``cls`` carries (None: not a message, e.g. part of one)."""
    name = vars(cls).get("type")
    return name if isinstance(name, str) else None


@functools.cache
def _unpack(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``tp`` without ``Annotated``, and its markers."""
    if get_origin(tp) is Annotated:
        base, *marks = get_args(tp)
        return base, tuple(marks)
    return tp, ()


def _mark(tp: Any, kind: type[T]) -> T | None:
    """The marker of ``kind`` on ``tp``, if any."""
    return next((m for m in _unpack(tp)[1] if isinstance(m, kind)), None)


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _items(tp: Any) -> tuple[Any, ...] | None:
    """The item types of a fixed tuple type; None for any other type."""
    args = get_args(tp)
    if get_origin(tp) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return args
    return None


def _item(tp: Any) -> Any:
    """The item type of a variable-length array type (``tuple[X, ...]``, ``list[X]``); None for
    any other type."""
    args = get_args(tp)
    if get_origin(tp) is list or (get_origin(tp) is tuple and args[1:] == (Ellipsis,)):
        return args[0]
    return None


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """Whether ``value`` is a finite JSON number (not a bool; an integer past a float's range
    is not finite)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


@dataclasses.dataclass(frozen=True)
class _Scalar:
    """A Python scalar type as JSON: its schema type, its check, and its words in messages."""

    json: str
    check: Callable[[Any], bool]
    one: str
    many: str


_SCALARS: dict[Any, _Scalar] = {
    int: _Scalar("integer", _integer, "an integer", "integers"),
    float: _Scalar("number", _finite, "a finite number", "finite numbers"),
    str: _Scalar("string", lambda v: isinstance(v, str), "a string", "strings"),
    bool: _Scalar("boolean", lambda v: isinstance(v, bool), "a boolean", "booleans"),
    type(None): _Scalar("null", lambda v: v is None, "null", "nulls"),
}


# ----------------------------------------------------------------------------- parsing
class _Mismatch(Exception):
    """``value`` is not of the JSON shape of ``tp``; ``noun``: it is an item called that."""

    def __init__(self, tp: Any, value: Any, noun: str | None = None) -> None:
        super().__init__()
        self.tp, self.value, self.noun = tp, value, noun


class _Broken(Exception):
    """A value of the right shape breaks a rule: "``subject`` ``value`` ``fails``"."""

    def __init__(self, subject: str, value: Any, fails: str) -> None:
        super().__init__()
        self.subject, self.value, self.fails = subject, value, fails


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 4, 8, 6
_REPR.maxstring = _REPR.maxlong = _REPR.maxother = 60


def shown(value: Any) -> str:
    """``value`` as a line of an error message that goes back to the page: its ``repr``, with
    long or deep parts elided (any value, however deep, prints without recursing far)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse(cls: type[T], content: Mapping[str, Any]) -> T:
    """The ``cls`` that ``content`` (a JSON object) holds; ProtocolError naming the field.

    A message that nests deeper than :data:`~projector_widget.util.nesting.MAX_DEPTH` levels
    (no declaration needs as many) is refused before any field is read.
    """
    where = f"{_wire_name(cls)!r} message:"
    if nesting.deeper_than(content):
        limit = nesting.MAX_DEPTH
        raise ProtocolError(
            f"{where} it nests more than {limit} levels deep (need at most {limit} levels of "
            "arrays and objects)"
        )
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in content and not f.required:
            continue
        raw = content.get(f.name)
        try:
            values[f.name] = _convert(f.annotation, raw)
            _verify(f.annotation, raw, repr(f.name))
        except _Mismatch as exc:
            if exc.noun is not None:
                what = f"a {exc.noun} must be {_expected(exc.tp)}, got {shown(exc.value)}"
            else:
                choice = get_origin(_unpack(f.annotation)[0]) is Literal
                what = f"{f.name!r} must be {_expected(f.annotation)}"
                what += f", got {shown(raw)}" if choice else ""
            raise ProtocolError(f"{where} {what}") from None
        except _Broken as exc:
            raise ProtocolError(f"{where} {exc.subject} {shown(exc.value)} {exc.fails}") from None
    return cls(**values)


def _convert(tp: Any, value: Any) -> Any:
    """``value`` as the Python value of ``tp``; _Mismatch when its JSON shape is not one."""
    base, _marks = _unpack(tp)
    origin = get_origin(base)
    if base is Any:
        out = value
    elif base in _SCALARS:
        if not _SCALARS[base].check(value):
            raise _Mismatch(tp, value)
        out = float(value) if base is float else value
    elif origin is Literal:
        if not any(type(value) is type(c) and value == c for c in get_args(base)):
            raise _Mismatch(tp, value)
        out = value
    elif _is_union(base):
        out = _first(base, value)
    elif origin in (tuple, list):
        out = _array(tp, value)
    elif origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _Mismatch(tp, value)
        out = {k: _convert(get_args(base)[1], v) for k, v in value.items()}
    else:
        raise TypeError(f"a request cannot declare a field of type {base!r}")
    empty = _mark(tp, EmptyMeans)
    return empty.value if empty is not None and out == "" else out


def _first(union: Any, value: Any) -> Any:
    """``value`` as the first member of ``union`` it is one of (_Mismatch when none)."""
    for member in get_args(union):
        try:
            return _convert(member, value)
        except _Mismatch:
            continue
    raise _Mismatch(union, value)


def _array(tp: Any, value: Any) -> Any:
    base, _marks = _unpack(tp)
    if not isinstance(value, list):
        raise _Mismatch(tp, value)
    fixed = _items(base)
    if fixed is not None:
        if len(value) != len(fixed):
            raise _Mismatch(tp, value)
        return tuple(_convert_item(t, v) for t, v in zip(fixed, value, strict=True))
    if not (_mark(tp, Length) or Length()).holds(len(value)):
        raise _Mismatch(tp, value)
    items = [_convert_item(_item(base), v) for v in value]
    return tuple(items) if get_origin(base) is tuple else items


def _convert_item(tp: Any, value: Any) -> Any:
    """An array item converted; a mismatch inside an item with a noun is about that item."""
    try:
        return _convert(tp, value)
    except _Mismatch as exc:
        shape = _mark(tp, Shape)
        if exc.noun is not None or shape is None or shape.noun is None:
            raise
        raise _Mismatch(tp, value, shape.noun) from None


def _verify(tp: Any, value: Any, subject: str) -> None:
    """Check the rules of ``tp`` on ``value`` (of the right shape), each part before the whole;
    _Broken names the nearest field or named item as the ``subject``."""
    base, marks = _unpack(tp)
    shape = _mark(tp, Shape)
    if shape is not None and shape.noun is not None:
        subject = shape.noun
    if _is_union(base):
        for member in get_args(base):
            try:
                _convert(member, value)
            except _Mismatch:
                continue
            _verify(member, value, subject)
            return
    fixed = _items(base)
    if fixed is not None:
        for t, v in zip(fixed, value, strict=True):
            _verify(t, v, subject)
    elif _item(base) is not None:
        for v in value:
            _verify(_item(base), v, subject)
    elif get_origin(base) is dict:
        for v in value.values():
            _verify(get_args(base)[1], v, subject)
    for mark in marks:
        if isinstance(mark, Range) and not mark.holds(value):
            need = " <= ".join(str(b) for b in (mark.low, "value", mark.high) if b is not None)
            raise _Broken(subject, value, f"is out of range (need {need})")
        if isinstance(mark, Rule) and not mark.check(value):
            raise _Broken(subject, value, f"{mark.fails} (need {mark.need})")
        if isinstance(mark, Unique):
            item_shape = _mark(_item(base), Shape)
            noun = item_shape.noun if item_shape is not None and item_shape.noun else subject
            seen: set[str] = set()
            for v in value:
                if repr(v) in seen:
                    raise _Broken(noun, v, mark.fails)
                seen.add(repr(v))


def _expected(tp: Any) -> str:
    """What a value of ``tp`` must be, in a message's words ("a list of 1 to 64 [z, x, y]")."""
    base, _marks = _unpack(tp)
    shape = _mark(tp, Shape)
    fixed = _items(base)
    if get_origin(base) is Literal:
        return f"one of {list(get_args(base))}"
    if _is_union(base):
        return " or ".join(_expected(m) for m in get_args(base))
    if fixed is not None:
        words = (str(len(fixed)), _plural(fixed), shape.text if shape else "")
        return " ".join(w for w in words if w)
    if _item(base) is not None:
        item_shape = _mark(_item(base), Shape)
        items = item_shape.text if item_shape is not None else _plural((_item(base),))
        return f"a list of {(_mark(tp, Length) or Length()).words()}{items}"
    if base in _SCALARS:
        return _SCALARS[base].one
    return "any JSON value" if base is Any else "an object"


def _plural(tps: tuple[Any, ...]) -> str:
    """The items of these types, as a plural noun ("integers"; "values" when mixed)."""
    kinds = {_unpack(t)[0] for t in tps}
    scalar = _SCALARS.get(kinds.pop()) if len(kinds) == 1 else None
    return scalar.many if scalar is not None else "values"


# ----------------------------------------------------------------------------- writing
def to_json(value: Any) -> Any:
    """``value`` (a declaration, or data holding declarations) as the JSON the browser gets:
    a message's ``type`` first, then its fields; tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = _wire_name(type(value))
        out = {} if name is None else {"type": name}
        return out | {f.name: to_json(getattr(value, f.name)) for f in fields(type(value))}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


# ----------------------------------------------------------------------------- schema
def definitions(roots: tuple[type, ...]) -> dict[str, dict[str, Any]]:
    """The JSON Schema definition of every declaration in ``roots`` and of every declaration
    they use, by class name, in the order met (each root followed by what it uses)."""
    out: dict[str, dict[str, Any]] = {}
    owners: dict[str, type] = {}
    pending = list(roots)
    while pending:
        cls = pending.pop(0)
        if owners.setdefault(cls.__name__, cls) is not cls:
            raise ValueError(f"two declarations are called {cls.__name__}")
        if cls.__name__ not in out:
            out[cls.__name__] = _record(cls)
            pending[:0] = [c for f in fields(cls) for c in _uses(f.annotation)]
    return out


def ref(cls: type) -> dict[str, Any]:
    """A schema that refers to the definition of ``cls``."""
    return {"$ref": f"#/definitions/{cls.__name__}"}


def _uses(tp: Any) -> Iterator[type]:
    """The declarations a field of type ``tp`` holds."""
    base, _marks = _unpack(tp)
    if isinstance(base, type) and dataclasses.is_dataclass(base):
        yield base
    elif get_origin(base) is not Literal:
        for arg in get_args(base):
            yield from _uses(arg)


def _record(cls: type) -> dict[str, Any]:
    """The JSON Schema of the declaration ``cls``: an object of exactly its fields."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    name = _wire_name(cls)
    if name is not None:
        properties["type"] = {"const": name}
        required.append("type")
    for f in fields(cls):
        properties[f.name] = _schema(f.annotation)
        if f.required:
            required.append(f.name)
        elif properties[f.name]:  # not on {} (any value): json2ts would read it as a type
            properties[f.name]["default"] = to_json(f.default)
    doc = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split()).replace("``", "`")
    described = {"description": doc} if doc and not doc.startswith(f"{cls.__name__}(") else {}
    return {
        "type": "object",
        **described,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a field of type ``tp``."""
    base, marks = _unpack(tp)
    origin = get_origin(base)
    out: dict[str, Any]
    if isinstance(base, type) and dataclasses.is_dataclass(base):
        out = ref(base)
    elif base is Any:
        out = {}
    elif base in _SCALARS:
        out = {"type": _SCALARS[base].json}
    elif origin is Literal:
        choices = list(get_args(base))
        out = {"const": choices[0]} if len(choices) == 1 else {"enum": choices}
    elif _is_union(base):
        members = [_schema(m) for m in get_args(base)]
        simple = all(list(m) == ["type"] for m in members)
        out = {"type": [m["type"] for m in members]} if simple else {"anyOf": members}
    elif _items(base) is not None:
        fixed = _items(base) or ()
        out = {"type": "array", "items": [_schema(t) for t in fixed], "additionalItems": False}
        out |= {"minItems": len(fixed), "maxItems": len(fixed)}
    elif _item(base) is not None:
        out = {"type": "array", "items": _schema(_item(base))}
    elif origin is dict:
        out = {"type": "object", "additionalProperties": _schema(get_args(base)[1])}
    else:
        raise TypeError(f"no JSON Schema for {base!r}")
    notes = []
    for mark in marks:
        if isinstance(mark, Range):
            out |= {
                k: v for k, v in (("minimum", mark.low), ("maximum", mark.high)) if v is not None
            }
        elif isinstance(mark, Length):
            out |= {
                k: v for k, v in (("minItems", mark.low), ("maxItems", mark.high)) if v is not None
            }
        elif isinstance(mark, Unique):
            out["uniqueItems"] = True
            notes.append("no item twice")
        elif isinstance(mark, Shape):
            notes.append(mark.text)
        elif isinstance(mark, Rule):
            notes.append(f"need {mark.need}")
        elif isinstance(mark, EmptyMeans):
            notes.append(f'"" means {json.dumps(to_json(mark.value))}')
    item = out.get("items")
    if isinstance(item, dict) and "description" in item:
        # TypeScript generators keep the description of a property, not of its items.
        notes.append(f"each {item['description']}")
    if notes:
        out["description"] = "; ".join(notes)
    return out
