"""Bookmarks of TensorFlow's projector (its saved ``State`` objects, a JSON list in the file a
projector config's ``bookmarks_path`` names) read and converted to this widget's bookmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from projector_widget.util import nesting


def _bookmark_error(k: int, item: dict[str, Any], what: str) -> ValueError:
    label = item.get("label")
    name = repr(label) if isinstance(label, str) and label else f"number {k + 1}"
    return ValueError(f"bookmark {name}: {what}")


def convert_tf_bookmarks(
    items: list[Any], n: int, components: int | None = None
) -> list[dict[str, Any]]:
    """Bookmarks of the TF projector (its saved ``State`` objects) as ours.

    ValueError names the bookmark and the field when one cannot be used as it is: selected
    points that are not row indices of the ``n`` rows, PCA components beyond the data's
    ``components`` (at most the first 10; by default 10).
    """
    from projector_widget.compute.projections.pca import COMPONENTS

    available = COMPONENTS if components is None else max(1, min(COMPONENTS, components))

    if not isinstance(items, list):
        raise ValueError("a bookmarks file holds a JSON list of saved states")
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"bookmark number {k + 1} is not a JSON object")
        projection = str(item.get("selectedProjection", "pca"))
        if projection not in ("pca", "tsne", "umap", "custom"):
            raise _bookmark_error(k, item, f"unknown selectedProjection {projection!r}")
        raw_comps = item.get("pcaComponentDimensions") or [0, 1, 2]
        if (
            not isinstance(raw_comps, list)
            or not 2 <= len(raw_comps) <= 3
            or not all(_is_index(c) and c < available for c in raw_comps)
        ):
            raise _bookmark_error(
                k,
                item,
                f"pcaComponentDimensions must be 2 or 3 component indices from 0 to "
                f"{available - 1} (the data has {available} components), got {raw_comps!r}",
            )
        comps = [int(c) for c in raw_comps]
        if projection == "custom":  # its axes are queries we cannot recover: fall back to PCA
            projection, comps = "pca", [0, 1, 2]
        if projection == "pca":
            dims = 3 if len(comps) == 3 else 2
            params: dict[str, Any] = {"components": comps}
        else:
            dims = 3 if projection == "tsne" and item.get("tSNEis3d", True) else 2
            params = {"dims": dims}
        points = item.get("selectedPoints", [])
        if not isinstance(points, list) or not all(_is_index(i) for i in points):
            raise _bookmark_error(
                k, item, f"selectedPoints must be a list of row indices, got {points!r}"
            )
        beyond = [i for i in points if i >= n]
        if beyond:
            raise _bookmark_error(k, item, f"selects point {beyond[0]}, but there are {n} points")
        out.append(
            {
                "name": str(item.get("label") or f"bookmark {k + 1}"),
                "projection": projection,
                "projection_params": params,
                "dimensions": dims,
                "spherize": False,
                "camera": {},
                "color_by": str(item.get("selectedColorOptionName") or ""),
                "label_by": str(item.get("selectedLabelOption") or ""),
                "selected": [int(i) for i in points],
                "focus": -1,
                "isolated": None,
            }
        )
    return out


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_bookmarks(path: Path, n: int, components: int | None = None) -> list[dict[str, Any]]:
    """The bookmarks in a TF projector bookmarks file, converted (ValueError when unusable)."""
    try:
        data = nesting.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON, or nested deeper than bookmarks are
        raise ValueError(f"{path.name} is not JSON: {exc}") from None
    return convert_tf_bookmarks(data, n, components)
