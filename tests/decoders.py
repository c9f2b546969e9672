"""The page's decoders of the wire format, in Python: the tests read what the kernel sends
the way js/contract/ reads it (quantised points, points sent in parts, label texts)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.sync.wire import QMAX


def dequantize(
    q: npt.NDArray[np.uint16], lo: list[float], hi: list[float]
) -> npt.NDArray[np.float32]:
    """Inverse of :func:`quantize` (up to half a quantisation step)."""
    lo_a = np.asarray(lo, dtype=np.float64)
    span = np.asarray(hi, dtype=np.float64) - lo_a
    return (lo_a + q.astype(np.float64) * (span / QMAX)).astype(np.float32)


def decode_points(value: dict[str, Any]) -> npt.NDArray[np.float32]:
    """Inverse of :func:`encode_points` : the rows the value carries."""
    q = np.frombuffer(value["data"], dtype="<u2").reshape(-1, value["dims"])
    return dequantize(q, value["lo"], value["hi"])


def join_parts(points: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any] | None:
    """The whole ``_points`` value from a first part and its ``_points_rest`` (as a saved widget
    state holds them); None when ``rest`` does not complete ``points`` (another version, a gap)."""
    n, dims = int(points["n"]), int(points["dims"])
    loaded = int(points.get("loaded", n))
    if loaded >= n:
        return points
    if not rest or rest.get("version") != points.get("version") or rest.get("start") != loaded:
        return None
    if int(rest["count"]) != n - loaded:
        return None
    first = np.frombuffer(points["data"], "<u2")[: loaded * dims]
    later = np.frombuffer(rest["data"], "<u2")[: (n - loaded) * dims]
    if later.size != (n - loaded) * dims:
        return None
    whole = {k: v for k, v in points.items() if k not in ("loaded", "version")}
    whole["data"] = memoryview(np.concatenate([first, later]))
    return whole


def decode_labels(value: dict[str, Any]) -> dict[int, str]:
    """Inverse of :func:`encode_labels` (for tests)."""
    rows = np.frombuffer(value["indices"], "<u4")
    offsets = np.frombuffer(value["offsets"], "<u4")
    blob = bytes(value["text"])
    return {int(r): blob[offsets[j] : offsets[j + 1]].decode("utf-8") for j, r in enumerate(rows)}
