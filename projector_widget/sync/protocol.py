"""Every message between the kernel and the browser, and the ``_spec`` value, declared once.

Each is a frozen dataclass whose fields are its JSON fields, in the language of ``declare.py``:
a request (browser -> kernel) parses into its class, a reply (kernel -> browser) and ``_spec``
are built from theirs. ``make contract`` (``scripts/contract.py``) writes these declarations as
one JSON Schema, ``js/contract/contract.schema.json``, generates the TypeScript types
``js/contract/contract.gen.ts`` from it and saves the current :func:`spec` as
``js/contract/spec.json``; tests/test_contract.py fails while those files are stale. Synced
traits (``_points``, ``selected``, ...) are state, not messages: ``wire.py`` encodes them, and
the schema lists their names and JSON kinds from the widget class itself.

What both sides must agree on beyond the messages (projection methods and their parameters,
metrics, label and overview limits) is sent to the browser once, as the ``_spec`` trait built by
:func:`spec` from the code that owns each value, so no rule is kept in two hand-written lists.

The browser sends ``row``, ``drawn`` and ``points`` on its own (:data:`BACKGROUND`): a malformed
one is dropped, where any other request gets an ``error`` reply. ``clusters`` and ``quality`` run
in a background thread, one at a time; their results arrive as the ``_clusters`` and ``_quality``
traits, their failures as ``error`` replies. ``tiles``, ``grid`` and ``lasso`` belong to overview
mode (``_overview`` is set); one of another ``version`` than the current overview is dropped.
The ``tiles`` and ``grid`` replies carry binary buffers beside their JSON (``wire.tile_buffers``:
rows uint32, xy float32, codes uint8, selected uint8 per tile; a grid's counts uint32 and top
uint8).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, get_args

from projector_widget.compute import overview, projections
from projector_widget.compute.neighbours import K_MAX, METRICS
from projector_widget.compute.projections.base import Kind
from projector_widget.sync import appearance
from projector_widget.sync.declare import (
    EmptyMeans,
    Length,
    ProtocolError,
    Range,
    Rule,
    Shape,
    Unique,
    parse,
    shown,
    to_json,
)
from projector_widget.util.jobs import Busy

#: Up to this many points, labels for every row are sent; above it, only for the rows that need
#: one (selected, focus, neighbours).
ALL_LABELS_MAX = 50_000
#: Cap on labelled selected rows above ALL_LABELS_MAX.
LABEL_ROWS_CAP = 5_000


#: A message as it goes on the wire: a JSON object with a ``type``.
Message: TypeAlias = dict[str, Any]

#: The errors a user can act on (a failed request's message is the whole answer).
USER_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ImportError,
    Busy,
    overview.SelectionTooLarge,
)


# ----------------------------------------------------------------------------- requests
def _in_quadtree(tile: list[int]) -> bool:
    z, x, y = tile
    return 0 <= z <= overview.LEVELS and 0 <= x < 2**z and 0 <= y < 2**z


def _not_empty(bounds: list[float]) -> bool:
    x0, y0, x1, y1 = bounds
    return x1 > x0 and y1 > y0


#: A quadtree tile: level ``z``, column ``x`` and row ``y``.
Tile = Annotated[
    tuple[int, int, int],
    Shape("[z, x, y]", noun="tile"),
    Rule(
        _in_quadtree,
        need=f"0 <= z <= {overview.LEVELS}, 0 <= x, y < 2**z",
        fails="is outside the quadtree",
    ),
]
#: A point of a lasso, in data coordinates.
Vertex = Annotated[tuple[float, float], Shape("[x, y]", noun="polygon vertex")]
#: A region of the data plane.
Bounds = Annotated[
    tuple[float, float, float, float],
    Shape("[x0, y0, x1, y1]"),
    Rule(_not_empty, need="x1 > x0, y1 > y0", fails="is empty"),
]


@dataclasses.dataclass(frozen=True)
class RowRequest:
    """One row's metadata as text, for the tooltip (answered by a ``row`` reply)."""

    type: ClassVar[str] = "row"
    index: int


@dataclasses.dataclass(frozen=True)
class Drawn:
    """The first complete frame is on screen (the kernel's background work may start)."""

    type: ClassVar[str] = "drawn"


@dataclasses.dataclass(frozen=True)
class PointsRequest:
    """Rows ``start`` onwards of the ``_points`` value of ``version``, sent in parts (the kernel
    answers by setting the ``_points_rest`` trait: saved state keeps it)."""

    type: ClassVar[str] = "points"
    version: int
    start: int


@dataclasses.dataclass(frozen=True)
class Project:
    """Compute and show the projection ``method`` with ``params`` over its defaults."""

    type: ClassVar[str] = "project"
    method: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Control:
    """Pause, resume or stop the running layout."""

    type: ClassVar[str] = "control"
    action: Literal["pause", "resume", "stop"]


@dataclasses.dataclass(frozen=True)
class Search:
    """Select the rows matching ``query`` in ``column`` (any column when null or "")."""

    type: ClassVar[str] = "search"
    query: str = ""
    column: Annotated[str | None, EmptyMeans(None)] = None
    regex: bool = False


@dataclasses.dataclass(frozen=True)
class Label:
    """Set ``column`` to ``value`` (any JSON value, "" when left out) on the selected rows."""

    type: ClassVar[str] = "label"
    column: str = ""
    value: Any = ""


@dataclasses.dataclass(frozen=True)
class Isolate:
    """Show only the selected rows."""

    type: ClassVar[str] = "isolate"


@dataclasses.dataclass(frozen=True)
class ShowAll:
    """Show every row again."""

    type: ClassVar[str] = "show_all"


@dataclasses.dataclass(frozen=True)
class Bookmark:
    """Save, restore or delete the bookmark ``name``."""

    type: ClassVar[str] = "bookmark"
    action: Literal["save", "restore", "delete"]
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Query:
    """Embed ``text`` with the encoder and show its neighbours (semantic search)."""

    type: ClassVar[str] = "query"
    text: str = ""


@dataclasses.dataclass(frozen=True)
class FindClusters:
    """Find clusters in the current layout and name them from ``column`` ("": the kernel's
    default column); the result arrives as the ``_clusters`` trait."""

    type: ClassVar[str] = "clusters"
    column: str = ""


@dataclasses.dataclass(frozen=True)
class CheckLayout:
    """Measure how far the layout keeps each row's ``k`` nearest neighbours and colour by the
    neighbours kept; the result arrives as the ``_quality`` trait."""

    type: ClassVar[str] = "quality"
    k: int


@dataclasses.dataclass(frozen=True)
class Tiles:
    """Overview mode: the points of these quadtree tiles of the overview ``version``."""

    type: ClassVar[str] = "tiles"
    version: int
    tiles: Annotated[tuple[Tile, ...], Length(1, overview.MAX_TILES), Unique("is asked for twice")]


@dataclasses.dataclass(frozen=True)
class GridRequest:
    """Overview mode: the overview grid of ``version`` re-aggregated over data ``bounds``."""

    type: ClassVar[str] = "grid"
    version: int
    bounds: Bounds


@dataclasses.dataclass(frozen=True)
class Lasso:
    """Overview mode: select the rows inside ``polygon`` (data coordinates, even-odd rule),
    instead of the selection ("replace") or beside it ("add")."""

    type: ClassVar[str] = "lasso"
    version: int
    polygon: Annotated[tuple[Vertex, ...], Length(overview.POLYGON_MIN, overview.POLYGON_MAX)]
    mode: Literal["replace", "add"]


#: Every request the browser may send; a class's ``type`` is its wire name.
Request: TypeAlias = (
    RowRequest
    | Drawn
    | PointsRequest
    | Project
    | Control
    | Search
    | Label
    | Isolate
    | ShowAll
    | Bookmark
    | Query
    | FindClusters
    | CheckLayout
    | Tiles
    | GridRequest
    | Lasso
)

_REQUESTS: dict[str, Any] = {cls.type: cls for cls in get_args(Request)}

#: Every request type, by its wire name.
REQUEST_TYPES = tuple(_REQUESTS)

#: Requests the browser sends on its own (no user waits on an answer): a malformed or stale one
#: is dropped, where any other gets an ``error`` reply.
BACKGROUND = frozenset({RowRequest.type, Drawn.type, PointsRequest.type})


def parse_request(content: Any) -> Request:
    """The typed request in a custom message; ProtocolError when it is not one."""
    if not isinstance(content, dict):
        raise ProtocolError("a message must be a JSON object with a 'type'")
    kind = content.get("type")
    cls = _REQUESTS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(f"unknown message type {shown(kind)}; known: {list(REQUEST_TYPES)}")
    return parse(cls, content)


def dispatch(
    content: Any,
    handlers: Mapping[type, Callable[[Any], None]],
    send: Callable[[Message], None],
) -> None:
    """Answer one custom message through the handler of its request type.

    A failing handler (ValueError, TypeError, IndexError, KeyError, ImportError,
    :class:`~projector_widget.util.jobs.Busy` while other kernel work runs, and a selection too
    large to hold as indices: the errors a user can act on) becomes an ``error`` reply; so does a malformed request, unless it is a background one
    (:data:`BACKGROUND`), which is dropped.
    """
    try:
        request = parse_request(content)
    except ProtocolError as exc:
        kind = content.get("type") if isinstance(content, dict) else None
        if not (isinstance(kind, str) and kind in BACKGROUND):
            send(error_reply(str(exc)))
        return
    try:
        handlers[type(request)](request)
    except USER_ERRORS as exc:
        send(error_reply(error_text(exc)))


def error_text(exc: BaseException) -> str:
    """The text of ``exc`` as a user reads it: ``str(KeyError("x"))`` is ``"'x'"``, quoted; an
    error that is not one of :data:`USER_ERRORS` (a bug) also names its type."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        return str(exc.args[0])
    if not isinstance(exc, USER_ERRORS):
        return f"{type(exc).__name__}: {exc}"
    return str(exc)


# ----------------------------------------------------------------------------- replies
#: How many rows or changes: never negative.
Count = Annotated[int, Range(0)]


@dataclasses.dataclass(frozen=True)
class RowReply:
    """The metadata of row ``index`` for the tooltip, as [column, text] pairs (text null: the
    value is missing, distinct from an empty string)."""

    type: ClassVar[str] = "row"
    index: Count
    values: list[Annotated[tuple[str, str | None], Shape("[column, text]")]]


@dataclasses.dataclass(frozen=True)
class SearchReply:
    """How many rows a search matched (they are now selected)."""

    type: ClassVar[str] = "search"
    query: str
    count: Count


@dataclasses.dataclass(frozen=True)
class LabelReply:
    """How many rows a label edit set."""

    type: ClassVar[str] = "label"
    column: str
    count: Count


@dataclasses.dataclass(frozen=True)
class SelectedAck:
    """The kernel holds the browser's new selection (sent before its observers run)."""

    type: ClassVar[str] = "selected_ack"


@dataclasses.dataclass(frozen=True)
class TileSample:
    """One tile of a ``tiles`` reply: ``count`` of its ``total`` rows came (its four buffers
    hold ``count`` entries each)."""

    z: Count
    x: Count
    y: Count
    count: Count
    total: Count


@dataclasses.dataclass(frozen=True)
class TilesReply:
    """Overview mode: the points of the tiles asked for, four buffers a tile (rows uint32, xy
    float32 pairs, codes uint8, selected uint8); ``selection`` counts the changes of
    ``selected``."""

    type: ClassVar[str] = "tiles"
    version: int
    selection: Count
    tiles: list[TileSample]


@dataclasses.dataclass(frozen=True)
class GridReply:
    """Overview mode: the grid over the bounds asked for, ``size`` [width, height] cells, and
    its largest count; two buffers (counts uint32, top category uint8)."""

    type: ClassVar[str] = "grid"
    version: int
    bounds: Annotated[tuple[float, float, float, float], Shape("[x0, y0, x1, y1]")]
    size: Annotated[tuple[Count, Count], Shape("[width, height]")]
    max: Count


@dataclasses.dataclass(frozen=True)
class LassoReply:
    """Overview mode: how many rows a lasso selected (``selected`` is set)."""

    type: ClassVar[str] = "lasso"
    version: int
    count: Count


@dataclasses.dataclass(frozen=True)
class ErrorReply:
    """A request failed; ``message`` is for the user."""

    type: ClassVar[str] = "error"
    message: str


#: Every reply the kernel may send; a class's ``type`` is its wire name.
Reply: TypeAlias = (
    RowReply
    | SearchReply
    | LabelReply
    | SelectedAck
    | TilesReply
    | GridReply
    | LassoReply
    | ErrorReply
)


def row_reply(index: int, values: Sequence[Sequence[str | None]]) -> Message:
    """``row``: the metadata of row ``index`` as ``[column, text]`` pairs (None: missing)."""
    return to_json(RowReply(int(index), [(str(name), text) for name, text in values]))


def search_reply(query: str, count: int) -> Message:
    """``search``: how many rows matched (and are now selected)."""
    return to_json(SearchReply(query, int(count)))


def label_reply(column: str, count: int) -> Message:
    """``label``: how many rows the edit set."""
    return to_json(LabelReply(column, int(count)))


def selected_ack() -> Message:
    """``selected_ack``: the kernel holds the browser's new selection."""
    return to_json(SelectedAck())


def tiles_reply(
    version: int, selection: int, samples: list[tuple[tuple[int, int, int], int, int]]
) -> Message:
    """``tiles``: one ``{z, x, y, count, total}`` per ``((z, x, y), count, total)``; the buffers
    go beside it (``wire.tile_buffers``)."""
    tiles = [
        TileSample(int(z), int(x), int(y), int(count), int(total))
        for (z, x, y), count, total in samples
    ]
    return to_json(TilesReply(int(version), int(selection), tiles))


def grid_reply(
    version: int, bounds: tuple[float, ...], size: tuple[int, int], largest: int
) -> Message:
    """``grid``: the grid's bounds, size and largest count (buffers: counts, top)."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    reply = GridReply(int(version), (x0, y0, x1, y1), (int(size[0]), int(size[1])), int(largest))
    return to_json(reply)


def lasso_reply(version: int, count: int) -> Message:
    """``lasso``: how many rows the lasso selected."""
    return to_json(LassoReply(int(version), int(count)))


def error_reply(message: str) -> Message:
    """``error``: a request failed; ``message`` tells the user why."""
    return to_json(ErrorReply(str(message)))


# ----------------------------------------------------------------------------- shared rules
@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A projection method as the kernel declares it (``projections.METHODS``): ``label`` is
    what the user reads ("t-SNE"); an "iterative" method runs as a job with progress, pause
    and a seed, an "instant" one does not; ``choices`` lists the allowed values of its
    choice-valued parameters."""

    name: str
    label: str
    kind: Kind
    defaults: dict[str, Any]
    choices: dict[str, list[str]]


@dataclasses.dataclass(frozen=True)
class OverviewSpec:
    """The limits of overview mode's requests: the deepest quadtree level, the most tiles one
    ``tiles`` request asks for, the fewest and the most vertices of a ``lasso`` polygon."""

    levels: int
    max_tiles: int
    polygon_min: int
    polygon_max: int


@dataclasses.dataclass(frozen=True)
class Spec:
    """``_spec``: what the browser must agree on with the kernel, sent once. ``metrics``: the
    neighbour metrics, the default first; ``k_max``: the most neighbours a row may have; up to
    ``all_labels_max`` points every row is labelled, above it only the rows that need one, at
    most ``label_rows_cap`` of the selected ones."""

    methods: list[MethodSpec]
    metrics: list[str]
    k_max: int
    all_labels_max: int
    label_rows_cap: int
    appearance: appearance.AppearanceSpec
    overview: OverviewSpec


#: The synced traits whose value is declared here (the schema gives the others their JSON kind).
DECLARED_TRAITS: Mapping[str, type] = {"_spec": Spec}


def spec() -> dict[str, Any]:
    """The ``_spec`` value (:class:`Spec`), each part from the code that owns it.

    ``methods`` from ``projections.METHODS``, ``metrics`` and ``k_max`` from ``neighbours``, the
    label limits from this module, ``appearance`` from :func:`appearance.offered`, and the
    overview limits from ``overview``.
    """
    value = Spec(
        methods=[
            MethodSpec(
                m.name,
                m.label,
                m.kind,
                dict(m.defaults),
                {k: list(v) for k, v in m.choices.items()},
            )
            for m in projections.METHODS.values()
        ],
        metrics=list(METRICS),
        k_max=K_MAX,
        all_labels_max=ALL_LABELS_MAX,
        label_rows_cap=LABEL_ROWS_CAP,
        appearance=appearance.offered(),
        overview=OverviewSpec(
            overview.LEVELS, overview.MAX_TILES, overview.POLYGON_MIN, overview.POLYGON_MAX
        ),
    )
    return to_json(value)
