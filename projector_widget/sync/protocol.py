"""Every custom message between the kernel and the browser, declared once.

Mirrored by ``js/protocol.ts``: the same ``type`` names and fields, in the same order. Synced
traits (``_points``, ``selected``, ...) are state, not messages; their binary layout lives in
``encoding.py``. What both sides must agree on beyond the messages (projection methods and their
parameters, metrics, label limits) is sent to the browser once, as the ``_spec`` trait built by
:func:`spec`, so no rule is kept in two hand-written lists.

Browser -> kernel (requests)
    ``row``        ``{index}``: one row's metadata as text, for the tooltip.
    ``drawn``      the first complete frame is on screen (background work may start).
    ``points``     ``{version, start}``: the rest of a ``_points`` value sent in parts (the
                   kernel answers by setting the ``_points_rest`` trait: saved state keeps it).
    ``project``    ``{method, params}``: compute and show a projection.
    ``control``    ``{action}``: pause, resume or stop the running layout.
    ``search``     ``{query, column, regex}``: select matching rows.
    ``label``      ``{column, value}``: set a metadata value on the selected rows.
    ``isolate`` / ``show_all``: show only the selection / every row again.
    ``bookmark``   ``{action, name}``: save, restore or delete a bookmark.
    ``query``      ``{text}``: semantic search through the encoder.
    ``clusters``   ``{column}``: find and name clusters in the layout (``""``: the default column).
    ``quality``    ``{k}``: measure the layout's quality with ``k`` neighbours and colour by the
                   neighbours each row kept.
    Both run in a background thread, one at a time; their results arrive as the ``_clusters``
    and ``_quality`` traits, their failures as ``error`` replies.
    Overview mode only (``_overview`` is set; a request of another ``version`` is dropped):
    ``tiles``      ``{version, tiles: [[z, x, y], ...]}``: the points of these quadtree tiles.
    ``grid``       ``{version, bounds: [x0, y0, x1, y1]}``: the overview grid over these bounds.
    ``lasso``      ``{version, polygon: [[x, y], ...], mode}``: select the rows inside (even-odd
                   rule; ``mode`` "replace" or "add").

Kernel -> browser (replies)
    ``row``          ``{index, values: [[column, text | null], ...]}`` (null: missing).
    ``search``       ``{query, count}``.
    ``label``        ``{column, count}``.
    ``selected_ack`` the kernel has the browser's new selection (sent before observers run).
    ``tiles``        ``{version, selection, tiles: [{z, x, y, count, total}, ...]}`` with four
                     buffers a tile (``encoding.tile_buffers``): rows uint32, xy float32, codes
                     uint8, selected uint8; ``selection`` counts the changes of ``selected``.
    ``grid``         ``{version, bounds, size, max}`` with two buffers: counts uint32, top uint8.
    ``lasso``        ``{version, count}``: the rows a lasso selected (``selected`` is set).
    ``error``        ``{message}``: a request failed; the message is for the user.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from projector_widget.compute import overview, projections
from projector_widget.compute.neighbours import K_MAX, METRICS
from projector_widget.sync import appearance
from projector_widget.util.jobs import Busy

#: Up to this many points, labels for every row are sent; above it, only for the rows that need
#: one (selected, focus, neighbours).
ALL_LABELS_MAX = 50_000
#: Cap on labelled selected rows above ALL_LABELS_MAX.
LABEL_ROWS_CAP = 5_000


class ProtocolError(ValueError):
    """A message that does not follow this protocol (wrong type or field)."""


Reply: TypeAlias = dict[str, Any]

#: The errors a user can act on (a failed request's message is the whole answer).
USER_ERRORS = (ValueError, TypeError, IndexError, KeyError, ImportError, Busy)


# ----------------------------------------------------------------------------- requests
@dataclasses.dataclass(frozen=True)
class RowRequest:
    """``row``: one row's metadata as text."""

    index: int


@dataclasses.dataclass(frozen=True)
class Drawn:
    """``drawn``: the browser has its first complete frame on screen."""


@dataclasses.dataclass(frozen=True)
class PointsRequest:
    """``points``: rows ``start`` onwards of the ``_points`` value of ``version`` (answered with
    the ``_points_rest`` trait)."""

    version: int
    start: int


@dataclasses.dataclass(frozen=True)
class Project:
    """``project``: compute and show a projection."""

    method: str
    params: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Control:
    """``control``: pause, resume or stop the running layout job."""

    action: Literal["pause", "resume", "stop"]


@dataclasses.dataclass(frozen=True)
class Search:
    """``search``: select the rows matching ``query`` in ``column`` (any column when None)."""

    query: str
    column: str | None
    regex: bool


@dataclasses.dataclass(frozen=True)
class Label:
    """``label``: set ``column`` to ``value`` on the selected rows."""

    column: str
    value: Any


@dataclasses.dataclass(frozen=True)
class Isolate:
    """``isolate``: show only the selected rows."""


@dataclasses.dataclass(frozen=True)
class ShowAll:
    """``show_all``: show every row again."""


@dataclasses.dataclass(frozen=True)
class Bookmark:
    """``bookmark``: save, restore or delete the bookmark ``name``."""

    action: Literal["save", "restore", "delete"]
    name: str


@dataclasses.dataclass(frozen=True)
class Query:
    """``query``: embed ``text`` with the encoder and show its neighbours."""

    text: str


@dataclasses.dataclass(frozen=True)
class FindClusters:
    """``clusters``: find clusters in the current layout, named from ``column`` ("" default)."""

    column: str


@dataclasses.dataclass(frozen=True)
class CheckLayout:
    """``quality``: measure how far the layout keeps each row's ``k`` nearest neighbours."""

    k: int


@dataclasses.dataclass(frozen=True)
class Tiles:
    """``tiles``: the points of quadtree tiles ``(z, x, y)`` of the overview ``version``."""

    version: int
    tiles: tuple[tuple[int, int, int], ...]


@dataclasses.dataclass(frozen=True)
class GridRequest:
    """``grid``: the overview grid of ``version`` over data ``bounds`` (x0, y0, x1, y1)."""

    version: int
    bounds: tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class Lasso:
    """``lasso``: select the rows inside ``polygon`` (data coordinates, even-odd rule)."""

    version: int
    polygon: tuple[tuple[float, float], ...]
    mode: Literal["replace", "add"]


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

#: Requests the browser sends on its own (no user waits on an answer): a malformed or stale one
#: is dropped, where any other gets an ``error`` reply.
BACKGROUND = frozenset({"row", "drawn", "points"})


def _int(content: Mapping[str, Any], key: str) -> int:
    value = content.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{content.get('type')!r} message: {key!r} must be an integer")
    return value


def _str(content: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = content.get(key, default)
    if not isinstance(value, str):
        raise ProtocolError(f"{content.get('type')!r} message: {key!r} must be a string")
    return value


def _choice(content: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> Any:
    value = content.get(key)
    if value not in allowed:
        raise ProtocolError(
            f"{content.get('type')!r} message: {key!r} must be one of {list(allowed)}, "
            f"got {value!r}"
        )
    return value


def _number(value: Any) -> bool:
    """Whether ``value`` is a finite JSON number (not a bool; an integer past a float's range
    is not finite)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _shown(value: Any) -> str:
    """``repr(value)`` cut to a line (it goes back to the page in an error message)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tiles(content: Mapping[str, Any]) -> tuple[tuple[int, int, int], ...]:
    value = content.get("tiles")
    if not isinstance(value, list) or not 1 <= len(value) <= overview.MAX_TILES:
        raise ProtocolError(
            f"'tiles' message: 'tiles' must be a list of 1 to {overview.MAX_TILES} [z, x, y]"
        )
    out = []
    for tile in value:
        ok = isinstance(tile, list) and len(tile) == 3
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in tile)
        if not ok:
            raise ProtocolError(
                f"'tiles' message: a tile must be [z, x, y] integers, got {_shown(tile)}"
            )
        z, x, y = tile
        if not 0 <= z <= overview.LEVELS or not (0 <= x < 2**z and 0 <= y < 2**z):
            raise ProtocolError(
                f"'tiles' message: tile {tile!r} is outside the quadtree (0 <= z <= "
                f"{overview.LEVELS}, 0 <= x, y < 2**z)"
            )
        if (z, x, y) in out:  # each tile once: a reply's size is bounded by its tiles
            raise ProtocolError(f"'tiles' message: tile {tile!r} is asked for twice")
        out.append((z, x, y))
    return tuple(out)


def _bounds(content: Mapping[str, Any]) -> tuple[float, float, float, float]:
    value = content.get("bounds")
    if not isinstance(value, list) or len(value) != 4 or not all(_number(v) for v in value):
        raise ProtocolError("'grid' message: 'bounds' must be 4 finite numbers [x0, y0, x1, y1]")
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x1 > x0 and y1 > y0):
        raise ProtocolError(f"'grid' message: 'bounds' {value!r} is empty (need x1 > x0, y1 > y0)")
    return x0, y0, x1, y1


def _polygon(content: Mapping[str, Any]) -> tuple[tuple[float, float], ...]:
    value = content.get("polygon")
    most = overview.POLYGON_MAX
    if not isinstance(value, list) or not 3 <= len(value) <= most:
        raise ProtocolError(f"'lasso' message: 'polygon' must be a list of 3 to {most} [x, y]")
    for v in value:
        if not (isinstance(v, list) and len(v) == 2 and _number(v[0]) and _number(v[1])):
            raise ProtocolError(
                f"'lasso' message: a polygon vertex must be 2 finite numbers [x, y], got {_shown(v)}"
            )
    return tuple((float(x), float(y)) for x, y in value)


def _params(content: Mapping[str, Any]) -> dict[str, Any]:
    value = content.get("params") or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ProtocolError("'project' message: 'params' must be an object")
    return dict(value)


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Request]] = {
    "row": lambda c: RowRequest(_int(c, "index")),
    "drawn": lambda c: Drawn(),
    "points": lambda c: PointsRequest(_int(c, "version"), _int(c, "start")),
    "project": lambda c: Project(_str(c, "method"), _params(c)),
    "control": lambda c: Control(_choice(c, "action", ("pause", "resume", "stop"))),
    "search": lambda c: Search(
        _str(c, "query", ""), c.get("column") or None, bool(c.get("regex", False))
    ),
    "label": lambda c: Label(_str(c, "column", ""), c.get("value", "")),
    "isolate": lambda c: Isolate(),
    "show_all": lambda c: ShowAll(),
    "bookmark": lambda c: Bookmark(
        _choice(c, "action", ("save", "restore", "delete")), _str(c, "name", "")
    ),
    "query": lambda c: Query(_str(c, "text", "")),
    "clusters": lambda c: FindClusters(_str(c, "column", "")),
    "quality": lambda c: CheckLayout(_int(c, "k")),
    "tiles": lambda c: Tiles(_int(c, "version"), _tiles(c)),
    "grid": lambda c: GridRequest(_int(c, "version"), _bounds(c)),
    "lasso": lambda c: Lasso(
        _int(c, "version"), _polygon(c), _choice(c, "mode", ("replace", "add"))
    ),
}

#: Every request type, by its wire name.
REQUEST_TYPES = tuple(_PARSERS)


def parse_request(content: Any) -> Request:
    """The typed request in a custom message; ProtocolError when it is not one."""
    if not isinstance(content, dict):
        raise ProtocolError("a message must be a JSON object with a 'type'")
    kind = content.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ProtocolError(f"unknown message type {kind!r}; known: {list(REQUEST_TYPES)}")
    return parser(content)


def dispatch(
    content: Any,
    handlers: Mapping[type, Callable[[Any], None]],
    send: Callable[[Reply], None],
) -> None:
    """Answer one custom message through the handler of its request type.

    A failing handler (ValueError, TypeError, IndexError, KeyError, ImportError, and
    :class:`~projector_widget.util.jobs.Busy` while other kernel work runs: the errors a user can act
    on) becomes an ``error`` reply; so does a malformed request, unless it is a background one
    (:data:`BACKGROUND`), which is dropped.
    """
    try:
        request = parse_request(content)
    except ProtocolError as exc:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in BACKGROUND:
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
def row_reply(index: int, values: list[list[str | None]]) -> Reply:
    """``row``: the metadata of row ``index`` as ``[column, text]`` pairs (None: missing)."""
    return {"type": "row", "index": int(index), "values": values}


def search_reply(query: str, count: int) -> Reply:
    """``search``: how many rows matched (and are now selected)."""
    return {"type": "search", "query": query, "count": int(count)}


def label_reply(column: str, count: int) -> Reply:
    """``label``: how many rows the edit set."""
    return {"type": "label", "column": column, "count": int(count)}


def selected_ack() -> Reply:
    """``selected_ack``: the kernel holds the browser's new selection."""
    return {"type": "selected_ack"}


def tiles_reply(
    version: int, selection: int, samples: list[tuple[tuple[int, int, int], int, int]]
) -> Reply:
    """``tiles``: one ``{z, x, y, count, total}`` per ``((z, x, y), count, total)``; the buffers
    go beside it (``encoding.tile_buffers``)."""
    return {
        "type": "tiles",
        "version": int(version),
        "selection": int(selection),
        "tiles": [
            {"z": z, "x": x, "y": y, "count": int(count), "total": int(total)}
            for (z, x, y), count, total in samples
        ],
    }


def grid_reply(
    version: int, bounds: tuple[float, ...], size: tuple[int, int], largest: int
) -> Reply:
    """``grid``: the grid's bounds, size and largest count (buffers: counts, top)."""
    return {
        "type": "grid",
        "version": int(version),
        "bounds": [float(b) for b in bounds],
        "size": [int(size[0]), int(size[1])],
        "max": int(largest),
    }


def lasso_reply(version: int, count: int) -> Reply:
    """``lasso``: how many rows the lasso selected."""
    return {"type": "lasso", "version": int(version), "count": int(count)}


def error_reply(message: str) -> Reply:
    """``error``: a request failed; ``message`` tells the user why."""
    return {"type": "error", "message": str(message)}


# ----------------------------------------------------------------------------- shared rules
def spec() -> dict[str, Any]:
    """What the browser must agree on with the kernel, sent once as the ``_spec`` trait.

    ``methods``: each projection method's name, label, kind ('instant' or 'iterative'),
    default parameters and the choices of its choice-valued parameters; ``metrics``: the
    neighbour metrics; ``k_max``: the most neighbours; label limits as in :mod:`labels`;
    ``appearance``: the colour maps and palettes by name, and the size limits
    (:func:`appearance.describe`).
    """
    return {
        "methods": [m.describe() for m in projections.METHODS.values()],
        "metrics": list(METRICS),
        "k_max": K_MAX,
        "all_labels_max": ALL_LABELS_MAX,
        "label_rows_cap": LABEL_ROWS_CAP,
        "appearance": appearance.describe(),
        "overview": {
            "levels": overview.LEVELS,
            "max_tiles": overview.MAX_TILES,
            "polygon_max": overview.POLYGON_MAX,
        },
    }
