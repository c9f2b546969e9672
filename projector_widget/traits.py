"""Custom traits and their (de)serialisers: the selection, a sorted unique index array."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from . import encoding


def normalize_selection(value: Any, n: int) -> npt.NDArray[np.int64]:
    """Sorted unique int64 indices from ``value``; IndexError/ValueError when invalid."""
    if value is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(value, np.ndarray) and value.dtype == bool:
        if value.shape != (n,):
            raise ValueError(
                f"a boolean selection mask must have shape ({n},), one flag per point; "
                f"got shape {value.shape}"
            )
        return np.flatnonzero(value).astype(np.int64)
    arr = np.asarray(list(value) if isinstance(value, (set, frozenset)) else value)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(
                f"selected must be integer row indices; got values of dtype {arr.dtype}"
            )
    arr = arr.astype(np.int64, copy=False).reshape(-1)
    if arr.min() < 0 or arr.max() >= n:
        bad = arr[(arr < 0) | (arr >= n)]
        raise IndexError(
            f"selected index {int(bad[0])} is out of range: the projector has {n} points "
            f"(valid indices are 0 to {n - 1})"
        )
    if arr.size > 1 and bool(np.all(arr[1:] > arr[:-1])):
        return arr.copy()  # already sorted and unique (as the browser sends it); never alias
        # the caller's array, which validate() marks read-only
    return np.unique(arr)


class SelectionTrait(traitlets.TraitType):
    """A sorted unique int64 index array, validated against the owner's ``n_points``.

    Notifies only when the indices really change (NumPy arrays do not compare to a bool).
    """

    info_text = "row indices (a sequence of ints or a boolean mask)"
    default_value = np.zeros(0, dtype=np.int64)

    def validate(self, obj: Any, value: Any) -> npt.NDArray[np.int64]:
        """Check and normalise ``value``; raise IndexError/ValueError, leaving the old value."""
        out = normalize_selection(value, obj.n_points)
        out.setflags(write=False)
        return out

    def set(self, obj: Any, value: Any) -> None:
        """Store the new indices and notify observers only when they differ from the old ones."""
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(self.name, self.default_value)
        if isinstance(old_value, np.ndarray) and np.array_equal(old_value, np.asarray(new_value)):
            return
        obj._trait_values[self.name] = new_value
        obj._notify_trait(self.name, old_value, new_value)


def selection_to_json(value: npt.NDArray[np.int64], _widget: Any) -> dict[str, Any]:
    """Serialise a selection for the browser (a uint32 buffer)."""
    return encoding.encode_selection(value)


def selection_from_json(value: Any, _widget: Any) -> npt.NDArray[np.int64]:
    """Deserialise a selection sent by the browser."""
    return encoding.decode_selection(value)


def selection() -> SelectionTrait:
    """A synced selection trait with its binary serialisers."""
    return SelectionTrait().tag(sync=True, to_json=selection_to_json, from_json=selection_from_json)
