"""Bookmarks: named views (projection and parameters, camera, colour/label, selection).

A bookmark is a plain JSON-serialisable dict, so a set of bookmarks saves to and loads from JSON.
"""

from __future__ import annotations

import json
from typing import Any

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


def check_bookmark(value: object) -> dict[str, Any]:
    """Validate one bookmark dict (as loaded from JSON); ValueError names what is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"a bookmark must be a JSON object, got {type(value).__name__}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("every bookmark needs a non-empty string 'name'")
    missing = [f for f in FIELDS if f not in value]
    if missing:
        raise ValueError(f"bookmark {name!r} lacks {missing}")
    if not isinstance(value["selected"], list) or not all(
        isinstance(i, int) for i in value["selected"]
    ):
        raise ValueError(f"bookmark {name!r}: 'selected' must be a list of row indices")
    return {"name": name, **{f: value[f] for f in FIELDS}}


def to_json(bookmarks: list[dict[str, Any]]) -> str:
    """Serialise bookmarks to a JSON string."""
    return json.dumps({"version": 1, "bookmarks": bookmarks}, indent=1)


def from_json(text: str) -> list[dict[str, Any]]:
    """Parse bookmarks written by :func:`to_json` (or a bare list of bookmark objects)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
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
