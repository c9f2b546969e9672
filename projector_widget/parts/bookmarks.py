"""Bookmarks: named views (projection and parameters, camera, colour/label, selection).

A bookmark is a plain JSON-serialisable dict, so a set of bookmarks saves to and loads from JSON.
:class:`BookmarksPart` saves the widget's view into one, checks one against the widget before
anything is applied, and restores it as one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from projector_widget.compute import projections
from projector_widget.data.choices import check_color_by, check_label_by, colorable
from projector_widget.data.inputs import check_dimensions
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.projection import ProjectionPart
from projector_widget.parts.session import ProjectionSession
from projector_widget.sync import protocol
from projector_widget.sync.traits import check_camera, normalize_selection, selection_rows
from projector_widget.util import nesting

FIELDS = (
    "projection",
    "projection_params",
    "dimensions",
    "spherize",
    "camera",
    "color_by",
    "label_by",
    "selected",
    "focus",
    "isolated",
)


def _row_indices(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    )


def _check_types(mark: dict[str, Any]) -> None:
    """ValueError naming the first field of ``mark`` whose JSON type no restore accepts."""
    params, dims, spherize = mark["projection_params"], mark["dimensions"], mark["spherize"]
    if not isinstance(params, dict):
        raise ValueError(f"projection_params must be an object, got {params!r}")
    if not isinstance(dims, int) or isinstance(dims, bool) or dims not in (2, 3):
        raise ValueError(f"dimensions must be 2 or 3, got {dims!r}")
    if not isinstance(spherize, bool):
        raise ValueError(f"spherize must be true or false, got {spherize!r}")
    for field in ("color_by", "label_by"):
        if not isinstance(mark[field], str):
            raise ValueError(f"{field} must be a column name (a string), got {mark[field]!r}")
    if not _row_indices(mark["selected"]):
        raise ValueError("'selected' must be a list of row indices")
    if mark["isolated"] is not None and not _row_indices(mark["isolated"]):
        raise ValueError("'isolated' must be null or a list of row indices")


def check_bookmark(value: object) -> dict[str, Any]:
    """Validate one bookmark dict (as loaded from JSON): its fields and their JSON types;
    ValueError names the bookmark and what is wrong (:meth:`BookmarksPart.checked` then checks
    it against a widget)."""
    if not isinstance(value, dict):
        raise ValueError(f"a bookmark must be a JSON object, got {type(value).__name__}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("every bookmark needs a non-empty string 'name'")
    missing = [f for f in FIELDS if f not in value]
    if missing:
        raise ValueError(f"bookmark {name!r} lacks {missing}")
    mark = {"name": name, **{f: value[f] for f in FIELDS}}
    try:
        _check_types(mark)
    except ValueError as exc:
        raise ValueError(f"bookmark {name!r}: {exc}") from None
    return mark


def to_json(bookmarks: list[dict[str, Any]]) -> str:
    """Serialise bookmarks to a JSON string."""
    return json.dumps({"version": 1, "bookmarks": bookmarks}, indent=1)


def from_json(text: str) -> list[dict[str, Any]]:
    """Parse bookmarks written by :func:`to_json` (or a bare list of bookmark objects); text
    nested deeper than any bookmarks (:data:`~projector_widget.util.nesting.MAX_DEPTH`) is
    refused, as is text that is not JSON (ValueError)."""
    try:
        data = nesting.loads(text)
    except ValueError as exc:
        raise ValueError(f"bookmarks are not valid JSON: {exc}") from None
    items = data.get("bookmarks") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError("bookmarks JSON must be a list or {'bookmarks': [...]}")
    return [check_bookmark(b) for b in items]


class BookmarkStore:
    """Named bookmarks, in the order they were first saved."""

    def __init__(self) -> None:
        self._marks: dict[str, dict[str, Any]] = {}

    def names(self) -> list[str]:
        """Bookmark names, oldest first."""
        return list(self._marks)

    def get(self, name: str) -> dict[str, Any]:
        """The bookmark ``name``; ValueError listing the bookmarks when there is none."""
        if name not in self._marks:
            raise ValueError(f"no bookmark named {name!r}; bookmarks are {self.names()}")
        return self._marks[name]

    def put(self, mark: dict[str, Any]) -> None:
        """Add ``mark`` (a :func:`check_bookmark` dict), replacing one of the same name."""
        self._marks[mark["name"]] = mark

    def delete(self, name: str) -> None:
        """Forget ``name`` (nothing happens when there is no such bookmark)."""
        self._marks.pop(name, None)

    def to_json(self) -> str:
        """Every bookmark as JSON (see :func:`to_json`)."""
        return to_json(list(self._marks.values()))


class BookmarksPart:
    """The bookmarks of one widget (the ``bookmarks`` trait lists their names)."""

    def __init__(
        self,
        host: Host,
        session: ProjectionSession,
        projection: ProjectionPart,
        metadata: Metadata,
    ) -> None:
        self._host = host
        self._session = session
        self._projection = projection
        self._metadata = metadata
        self.store = BookmarkStore()

    def save(self, name: str) -> dict[str, Any]:
        """:meth:`Projector.save_bookmark`."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a bookmark needs a non-empty name")
        host, subset = self._host, self._session.subset
        mark = {
            "name": name.strip(),
            "projection": host.projection,
            "projection_params": dict(host.projection_params),
            "dimensions": host.dimensions,
            "spherize": bool(host.spherize),
            "camera": dict(host.camera),
            "color_by": host.color_by,
            "label_by": host.label_by,
            # A lazy selection (overview mode) is not saved: its rows would not fit a bookmark.
            "selected": [int(i) for i in selection_rows(host.selected, compute=False)],
            "focus": int(host.focus),
            "isolated": None if subset is None else [int(i) for i in subset],
        }
        self.store.put(mark)
        self.sync()
        return dict(mark)

    def restore(self, name: str) -> None:
        """:meth:`Projector.restore_bookmark`: everything checked first, then one transaction."""
        mark = self.store.get(name)
        host, session = self._host, self._session
        view = self.checked(mark)
        rows = (view["spherize"], view["subset"])
        plan = session.prepare(mark["projection"], self.params(mark), rows)
        session.set_rows(spherize=rows[0], subset=rows[1])
        with self._projection.kernel_change(), host.hold_sync():
            host.spherize = view["spherize"]
            host._isolated = view["subset"] is not None
            host.projection = plan.method.name
            host.projection_params = plan.params
            host.dimensions = view["dimensions"]
            session.show(plan)
            host._pca_variance = session.variance()
            host.color_by = mark["color_by"]
            host.label_by = mark["label_by"]
            host.selected = view["selected"]
            host.focus = view["focus"]
            host.camera = view["camera"]
        self._projection.notify_rows_changed()

    def checked(self, mark: dict[str, Any]) -> dict[str, Any]:
        """A bookmark's view, validated against this widget as restoring it validates it (its
        projection's parameters by the method's own checks on the bookmark's rows, nothing
        computed): ValueError/IndexError/TypeError naming the bookmark and the field."""
        n, columns = self._session.n, self._metadata.columns
        try:
            method = projections.get(mark["projection"])
            check_color_by(mark["color_by"], columns)
            check_label_by(mark["label_by"], columns)
            check_dimensions(mark["dimensions"])
            focus = mark["focus"]
            if isinstance(focus, bool) or not isinstance(focus, int) or not -1 <= focus < n:
                raise IndexError(f"focus {focus!r} is not a row of {n} points (or -1)")
            isolated = mark["isolated"]
            view = {
                "spherize": mark["spherize"],
                "subset": normalize_selection(isolated, n) if isolated else None,
                "selected": normalize_selection(mark["selected"], n),
                "focus": int(focus),
                "dimensions": int(mark["dimensions"]),
                "camera": check_camera(mark["camera"]),
            }
            self._session.check(method.name, self.params(mark), (view["spherize"], view["subset"]))
            return view
        except (ValueError, IndexError, TypeError) as exc:
            raise type(exc)(f"bookmark {mark['name']!r}: {exc}") from None

    @staticmethod
    def params(mark: dict[str, Any]) -> dict[str, Any]:
        """The parameters a restore of ``mark`` projects with (an iterative layout's ``dims``
        are the bookmark's dimensions)."""
        params = dict(mark["projection_params"])
        if projections.get(mark["projection"]).iterative:
            params["dims"] = mark["dimensions"]
        return params

    def delete(self, name: str) -> None:
        """Forget the bookmark ``name``."""
        self.store.delete(name)
        self.sync()

    def load(self, text: str) -> None:
        """:meth:`Projector.load_bookmarks`: all or nothing."""
        self.add(from_json(text))

    def add(self, marks: list[dict[str, Any]]) -> None:
        """Add ``marks`` (:func:`check_bookmark` dicts), all or none: a bookmark that cannot be
        restored (:meth:`checked`) is not added, and neither are the others."""
        for mark in marks:
            self.checked(mark)
        for mark in marks:
            self.store.put(mark)
        self.sync()

    def adopt(self, marks: list[dict[str, Any]]) -> None:
        """Add bookmarks read from another tool's files (TensorBoard's), their colour and label
        columns replaced by this widget's when they have none of theirs; checked as
        :meth:`load` checks its own."""
        kinds = self._metadata.kinds
        adopted = []
        for given in marks:
            mark = check_bookmark(given)
            if mark["color_by"] not in colorable(self._metadata.columns):  # absent or free text
                mark["color_by"] = self._host.color_by
            if mark["label_by"] not in kinds:
                mark["label_by"] = ""
            adopted.append(mark)
        self.add(adopted)

    def sync(self) -> None:
        """The ``bookmarks`` trait: the names, oldest first."""
        self._host.bookmarks = [{"name": k} for k in self.store.names()]

    def handlers(self) -> dict[type, Any]:
        """The page's ``bookmark`` requests (save, restore, delete)."""
        actions = {"save": self.save, "restore": self.restore, "delete": self.delete}
        return {protocol.Bookmark: lambda r: actions[r.action](r.name)}
