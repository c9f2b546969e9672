"""The contract (sync/protocol.py, read through sync/declare.py): the generated files in
js/contract/ are current, and the declarations' readings agree with each other: every message
the schema accepts parses (unless it breaks a rule only the kernel checks), every message that
parses is one the schema accepts, and what the reply builders and ``spec()`` send is what the
schema says the browser receives."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any, get_args

import anywidget
import numpy as np
import pytest
import traitlets
from frontend import send_from_browser
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, validators

from projector_widget import Projector
from projector_widget.sync import appearance, protocol, traits
from projector_widget.util import nesting

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "js" / "contract"
STALE = "{} differ from the declarations in projector_widget/sync: run make contract"


def _load_script() -> Any:
    found = importlib.util.spec_from_file_location("contract_script", ROOT / "scripts/contract.py")
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


script = _load_script()


# ----------------------------------------------------------------------------- generated files
def test_generated_files_are_current(tmp_path):
    if shutil.which("node") is None or not script.JSON2TS.exists():
        pytest.skip("needs node and the npm packages (npm ci)")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/contract.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert time.perf_counter() - start < 30
    names = (script.SCHEMA, script.SPEC, script.TYPESCRIPT)
    stale = [n for n in names if (tmp_path / n).read_bytes() != (COMMITTED / n).read_bytes()]
    assert not stale, STALE.format(", ".join(f"js/contract/{n}" for n in stale))


def test_schema_and_spec_fixture_are_current_without_node():
    for name, text in ((script.SCHEMA, script.schema_text()), (script.SPEC, script.spec_text())):
        assert (COMMITTED / name).read_text(encoding="utf-8") == text, STALE.format(name)


# ----------------------------------------------------------------------------- the schema
def _integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(_checker: Any, value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


#: Draft-07 with JSON's numbers as the browser writes them and the kernel reads them: an
#: integer is written without a fraction (1, not 1.0), and a number is finite.
Validator = validators.extend(
    Draft7Validator,
    type_checker=Draft7Validator.TYPE_CHECKER.redefine_many(
        {"integer": _integer, "number": _finite}
    ),
)


@cache
def _contract() -> dict[str, Any]:
    return json.loads((COMMITTED / script.SCHEMA).read_text(encoding="utf-8"))


@cache
def _validator(definition: str) -> Any:
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _contract()["definitions"]}
    return Validator(schema)


def _valid(value: Any, definition: str) -> bool:
    return bool(_validator(definition).is_valid(value))


def test_the_schema_is_valid_draft_07_and_names_every_message():
    Draft7Validator.check_schema(_contract())
    definitions = _contract()["definitions"]
    for union in (protocol.Request, protocol.Reply):
        for cls in get_args(union):
            assert definitions[cls.__name__]["properties"]["type"] == {"const": cls.type}
    requests = {m["$ref"].rsplit("/", 1)[1] for m in definitions["Request"]["oneOf"]}
    assert requests == {cls.__name__ for cls in get_args(protocol.Request)}
    assert definitions["TraitName"]["enum"] == sorted(
        set(Projector.class_traits(sync=True)) - set(anywidget.AnyWidget.class_traits(sync=True))
    )
    assert definitions["Traits"]["properties"]["_spec"] == {"$ref": "#/definitions/Spec"}


# ----------------------------------------------------------------------------- replies, spec
REPLIES = [
    protocol.row_reply(3, [["label", "a"], ["score", None]]),
    protocol.search_reply("q", 4),
    protocol.label_reply("c", 2),
    protocol.selected_ack(),
    protocol.tiles_reply(2, 5, [((1, 0, 1), 3, 10), ((0, 0, 0), 0, 0)]),
    protocol.grid_reply(2, (0.0, -1.0, 1.5, 2.0), (64, 32), 17),
    protocol.lasso_reply(2, 9),
    protocol.error_reply("no rows"),
]


def test_every_reply_builder_sends_what_its_declaration_says():
    by_type = {cls.type: cls.__name__ for cls in get_args(protocol.Reply)}
    assert sorted(r["type"] for r in REPLIES) == sorted(by_type)
    for reply in REPLIES:
        assert json.loads(json.dumps(reply)) == reply  # JSON already: no tuples, no NumPy
        assert _valid(reply, "Reply") and _valid(reply, by_type[reply["type"]]), reply
    assert not _valid({"type": "lasso", "version": 2, "count": -1}, "Reply")
    assert not _valid({"type": "row", "index": 0, "values": [["a"]]}, "Reply")


def test_the_widget_replies_as_declared(monkeypatch):
    w = Projector(
        np.random.default_rng(0).standard_normal((30, 4)),
        {"group": ["a", "b", "c"] * 10, "score": np.linspace(0, 1, 30)},
    )
    sent: list[Any] = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "row", "index": 4})
    send_from_browser(w, {"type": "search", "query": "a", "column": "group"})
    send_from_browser(w, {"type": "label", "column": "group", "value": "z"})
    send_from_browser(w, {"type": "bookmark", "action": "restore", "name": "none"})
    w.set_state({"selected": [1, 2]})
    assert [m["type"] for m in sent] == ["row", "search", "label", "error", "selected_ack"]
    for message in sent:
        assert _valid(json.loads(json.dumps(message)), "Reply"), message


def test_the_spec_and_its_fixture_follow_the_declaration():
    assert _valid(protocol.spec(), "Spec")
    fixture = json.loads((COMMITTED / script.SPEC).read_text(encoding="utf-8"))
    assert _valid(fixture, "Spec")
    fixture["methods"][0]["kind"] = "slow"
    assert not _valid(fixture, "Spec")
    palettes = protocol.spec()["appearance"]["palettes"]
    assert all(_valid(p, "SchemePalette") != _valid(p, "ColorsPalette") for p in palettes)


# ----------------------------------------------------------------------------- traits
def test_trait_kinds_come_from_the_widget_class():
    class Toy(anywidget.AnyWidget):
        text = traitlets.Unicode("").tag(sync=True)
        count = traitlets.Int(0).tag(sync=True)
        flag = traitlets.Bool(False).tag(sync=True)
        pair = appearance.Setting((1.0, 2.0)).tag(sync=True)
        ratio = appearance.Setting(0.5).tag(sync=True)
        kernel_only = traitlets.Float(0.0)

    assert traits.synced_kinds(Toy, anywidget.AnyWidget) == {
        "count": "integer",
        "flag": "boolean",
        "pair": "array",
        "ratio": "number",
        "text": "string",
    }
    kinds = traits.synced_kinds(Projector, anywidget.AnyWidget)
    assert kinds["selected"] == "object"  # its own serialiser: SelectionTrait.json_kind
    assert kinds["color_map"] == "string" and kinds["size_range"] == "array"

    class Vague(anywidget.AnyWidget):
        anything = traitlets.Any(None).tag(sync=True)

    with pytest.raises(TypeError, match="json_kind"):
        traits.synced_kinds(Vague, anywidget.AnyWidget)


# ----------------------------------------------------------------------------- requests
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


def _following(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of about the JSON shape ``schema`` gives: its rules may break (z up to 20, x below
    20), an array may be an item short."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_following(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_following({**schema, "type": k}) for k in kind])
    if kind == "array":
        items = schema["items"]
        if isinstance(items, list):
            return st.tuples(*map(_following, items)).map(list)
        low = schema.get("minItems", 0)  # one item short now and then
        return st.lists(_following(items), min_size=max(0, low - 1), max_size=low + 3)
    if kind == "object":
        return st.dictionaries(st.text(max_size=3), _following(schema["additionalProperties"]))
    scalars = {
        "integer": st.integers(-2, 20),
        "number": st.integers(-5, 5) | st.floats(-1e300, 1e300),
        "string": st.text(max_size=3),
        "boolean": st.booleans(),
        "null": st.none(),
    }
    return scalars.get(kind, JSON)


@cache
def _messages(definition: str) -> st.SearchStrategy[dict[str, Any]]:
    """Messages of ``definition``: each field mostly of its shape, else any JSON; a field other
    than ``type`` now and then left out."""
    fields = {
        name: st.one_of(_following(field), _following(field), _following(field), JSON)
        for name, field in _contract()["definitions"][definition]["properties"].items()
    }
    out = st.fixed_dictionaries(fields)
    left_out = st.sampled_from([None, *(name for name in fields if name != "type")])
    return st.tuples(out, left_out).map(lambda m: {k: v for k, v in m[0].items() if k != m[1]})


@pytest.mark.parametrize("cls", get_args(protocol.Request), ids=lambda c: c.type)
@settings(max_examples=40)
@given(data=st.data())
def test_the_parser_and_the_schema_accept_the_same_requests(cls, data):
    message = data.draw(_messages(cls.__name__))
    valid = _valid(message, cls.__name__)
    try:
        request = protocol.parse_request(message)
    except protocol.ProtocolError as exc:
        rule = "(need " in str(exc)  # a Rule: a condition JSON Schema cannot state
        assert not valid or rule, (message, str(exc))
    else:
        assert valid and isinstance(request, cls), message


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


#: Any JSON the page could send: unbounded and huge integers, long and deep arrays and objects.
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**53 + 1, 2**63, -(2**63) - 1, 10**400, -(10**400)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.text(max_size=3), inner, max_size=4)
        | st.tuples(st.sampled_from([2, 31, 32, 33, 200, 5000]), inner).map(lambda d: _nested(*d))
    ),
    max_leaves=16,
)


def _properties(cls: type) -> dict[str, Any]:
    return _contract()["definitions"][cls.__name__]["properties"]


@st.composite
def _any_request(draw: st.DrawFn) -> Any:
    """A message the page might send: a request's fields (and another) holding any JSON or about
    their declared shape, its ``type`` now and then any JSON too, or missing."""
    cls = draw(st.sampled_from(get_args(protocol.Request)))
    properties = {k: v for k, v in _properties(cls).items() if k != "type"}
    shaped = st.one_of([_following(p) for p in properties.values()] or [JSON])
    names = st.sampled_from([*properties, "extra"])
    message = draw(st.dictionaries(names, ANY_JSON | shaped, max_size=4))
    kind = draw(st.sampled_from([cls.type, cls.type, cls.type, None]) | ANY_JSON)
    return message if kind is None else {**message, "type": kind}


HANDLED = {cls: (lambda _request: None) for cls in get_args(protocol.Request)}


@given(message=_any_request() | ANY_JSON)
def test_any_json_parses_as_the_schema_says_or_gets_a_precise_answer(message):
    """Every message the page can send parses to a request that its schema accepts (on the
    fields the declaration reads), or is refused with a ProtocolError; through ``dispatch`` it
    is answered by its handler, an ``error`` reply, or (a background request) dropped; nothing
    raises."""
    try:
        request = protocol.parse_request(message)
    except protocol.ProtocolError as exc:
        parsed, text = None, str(exc)
        assert text and len(text) < 1000, text
    else:
        parsed = type(request)
        read = {k: v for k, v in message.items() if k in _properties(parsed)}
        assert _valid(read, parsed.__name__), message
        assert not nesting.deeper_than(message)  # handlers may walk what they are given
    sent: list[Any] = []
    protocol.dispatch(message, HANDLED, sent.append)
    kind = message.get("type") if isinstance(message, dict) else None
    if parsed is not None or (isinstance(kind, str) and kind in protocol.BACKGROUND):
        assert sent == []
    else:
        assert [m["type"] for m in sent] == ["error"] and _valid(sent[0], "ErrorReply")
