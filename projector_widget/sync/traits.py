"""Trait types that validate, and their (de)serialisers.

The selection (a sorted unique index array, or a lazy selection in overview mode) with its
binary serialisers; :class:`Checked` traits whose values pass a check (appearance, camera,
bounded numbers, metric); column choices and row indices checked against the owner widget.
The widget declares its traits with these, so each rule lives with its trait. And the JSON
kind of every synced trait of a widget class, for the contract's schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from projector_widget.compute import overview
from projector_widget.compute.overview import SelectionTooLarge
from projector_widget.compute.overview.index import LazySelection
from projector_widget.sync import wire as encoding


def normalize_selection(value: Any, n: int) -> npt.NDArray[np.int64]:
    """Sorted unique int64 indices from ``value``; IndexError/ValueError/TypeError when invalid.

    One rule for every container: a sequence of booleans (list, tuple, NumPy array, pandas
    Series) is a mask with one flag per point; anything else holds row indices, as integers or
    integral floats, checked against ``n`` before any conversion could wrap them.
    """
    if value is None:
        return np.zeros(0, dtype=np.int64)
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()  # pandas Series / Index
    if isinstance(value, (set, frozenset)):
        value = list(value)
    if isinstance(value, (list, tuple)):
        flags = [isinstance(v, (bool, np.bool_)) for v in value]
        if any(flags) and not all(flags):
            raise ValueError(
                "selected mixes booleans and row indices; pass a mask (one bool per point) or "
                "integer row indices"
            )
    try:
        arr = np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"selected must be a flat sequence of row indices ({exc})") from None
    if arr.ndim == 0:
        raise TypeError(
            f"selected must be a sequence of row indices or a boolean mask, got {value!r}; "
            f"for one row write [{value!r}]"
        )
    if arr.ndim != 1:
        raise ValueError(
            f"selected must be a 1-D sequence of row indices; got shape {arr.shape} "
            "(flatten it first if that is what you mean, e.g. rows.ravel())"
        )
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in arr):
        arr = arr.astype(bool)  # booleans in an object array: a mask like any other
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValueError(
                f"a boolean selection mask must have shape ({n},), one flag per point; "
                f"got shape {arr.shape}"
            )
        return np.flatnonzero(arr).astype(np.int64)
    if arr.dtype == object:
        arr = _object_indices(arr, n)
    elif arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        integral = finite & (arr == np.round(np.where(finite, arr, 0)))
        if not integral.all():
            bad = float(arr[~integral][0])
            raise ValueError(f"selected must be integer row indices; got {bad!r}")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"selected must be integer row indices; got values of dtype {arr.dtype}")
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi >= n:  # compared in the values' own type: nothing has wrapped yet
        bad = lo if lo < 0 else hi
        shown = int(bad) if arr.dtype.kind in "iu" else float(bad)
        raise IndexError(
            f"selected index {shown!r} is out of range: the projector has {n} points "
            f"(valid indices are 0 to {n - 1})"
        )
    out = arr.astype(np.int64)  # a copy: never the caller's array, which validate() freezes
    if out.size > 1 and bool(np.all(out[1:] > out[:-1])):
        return out  # sorted and unique already, as the browser sends it
    return np.unique(out)


def _object_indices(arr: np.ndarray, n: int) -> np.ndarray:
    """Python ints of any size (no bools) checked against ``n``, as int64."""
    for v in arr:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"selected must be integer row indices; got {v!r}")
        if not 0 <= int(v) < n:
            raise IndexError(
                f"selected index {int(v)} is out of range: the projector has {n} points "
                f"(valid indices are 0 to {n - 1})"
            )
    return arr.astype(np.int64)


class SelectionTrait(traitlets.TraitType):
    """A sorted unique int64 index array, validated against the owner's ``n_points``, or (in
    overview mode only, above ``overview.SELECTED_MAX`` rows) a :class:`LazySelection` of them.

    Notifies only when the indices really change (NumPy arrays do not compare to a bool).
    """

    info_text = "row indices (a sequence of ints or a boolean mask)"
    default_value = np.zeros(0, dtype=np.int64)
    #: What the browser receives (:func:`selection_to_json`): an object.
    json_kind = "object"

    def validate(self, obj: Any, value: Any) -> npt.NDArray[np.int64] | LazySelection:
        """Check and normalise ``value``; raise IndexError/ValueError, leaving the old value.

        A lazy selection stays lazy only where the owner shows a density overview
        (``obj._parts.overview.active``); a projector that draws its points holds indices, so
        one given to it (by a link to an overview, by assignment) is computed into its rows,
        or refused (:class:`SelectionTooLarge`) when they would not fit in the kernel.
        """
        if isinstance(value, LazySelection):
            if value.n_points != obj.n_points:
                raise ValueError(
                    f"this lazy selection is of {value.n_points:,} rows, not of this "
                    f"projector's {obj.n_points:,}"
                )
            if obj._parts.overview.active:
                return value
            try:
                value = value.compute()
            except SelectionTooLarge as exc:
                raise SelectionTooLarge(
                    f"this projector draws each of its {obj.n_points:,} points, so it holds its "
                    f"selection as row indices, and these would not fit: {exc}"
                ) from None
        out = normalize_selection(value, obj.n_points)
        out.setflags(write=False)
        return out

    def set(self, obj: Any, value: Any) -> None:
        """Store the new indices and notify observers only when they differ from the old ones."""
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(self.name, self.default_value)
        if old_value is new_value:
            return
        if (
            isinstance(old_value, np.ndarray)
            and isinstance(new_value, np.ndarray)
            and np.array_equal(old_value, new_value)
        ):
            return
        obj._trait_values[self.name] = new_value
        obj._notify_trait(self.name, old_value, new_value)


def selection_to_json(value: npt.NDArray[np.int64] | LazySelection, widget: Any) -> dict[str, Any]:
    """Serialise a selection for the browser (a uint32 buffer; a lazy one, or in overview mode
    one of more than ``overview.SELECTED_MAX`` rows (a search, an assignment): its count;
    ``widget._parts.overview`` is its :class:`~projector_widget.parts.overview.OverviewPart`)."""
    large = len(value) > overview.SELECTED_MAX and widget._parts.overview.active
    return encoding.encode_selection(value, count_only=large)


def selection_from_json(value: Any, widget: Any) -> Any:
    """Deserialise a selection sent by the browser (a lazy selection's own value sent back,
    which holds no indices, leaves the selection as it is)."""
    if isinstance(value, dict) and value.get("lazy") is True and widget is not None:
        return widget.selected
    return encoding.decode_selection(value)


def selection() -> SelectionTrait:
    """A synced selection trait with its binary serialisers."""
    return SelectionTrait().tag(sync=True, to_json=selection_to_json, from_json=selection_from_json)


def _finite(value: object) -> bool:
    """Whether ``value`` is a real number a float holds finitely (not an int past its range)."""
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
        value, (bool, np.bool_)
    ):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def check_camera(value: Any) -> dict[str, Any]:
    """A ``camera`` value as the browser writes it, or {} (fit to the data); ValueError naming
    the field otherwise.

    2-D: ``{"dims": 2, "center": [x, y], "zoom": z}``; 3-D: ``{"dims": 3, "target": [x, y, z],
    "yaw": a, "pitch": b, "distance": d}``; every number finite, zoom and distance positive.
    """
    if not isinstance(value, dict):
        raise TypeError(
            f"camera must be a dict (or {{}} to fit the data), got {type(value).__name__}"
        )
    if not value:
        return {}
    dims: Any = value.get("dims")
    shapes: dict[Any, dict[str, int]] = {
        2: {"center": 2, "zoom": 0},
        3: {"target": 3, "yaw": 0, "pitch": 0, "distance": 0},
    }
    if dims not in shapes or isinstance(dims, bool):
        raise ValueError(f"camera['dims'] must be 2 or 3, got {dims!r}")
    fields = shapes[dims]
    extra = sorted(set(value) - set(fields) - {"dims"})
    if extra:
        raise ValueError(
            f"camera has unknown field(s) {extra}; a {dims}-D camera has {sorted(fields)}"
        )
    out: dict[str, Any] = {"dims": int(dims)}
    for name, length in fields.items():
        v: Any = value.get(name)
        if length:
            ok = isinstance(v, (list, tuple)) and len(v) == length and all(_finite(c) for c in v)
            if not ok:
                raise ValueError(f"camera[{name!r}] must be {length} finite numbers, got {v!r}")
            out[name] = [float(c) for c in v]
        else:
            positive = name in ("zoom", "distance")
            if not _finite(v) or (positive and not float(v) > 0):
                what = "a positive finite number" if positive else "a finite number"
                raise ValueError(f"camera[{name!r}] must be {what}, got {v!r}")
            out[name] = float(v)
    return out


def check_number(
    name: str, value: Any, *, low: float, high: float, integer: bool = False
) -> int | float:
    """``value`` as a number within [low, high] (an int when ``integer``); TypeError for a bool
    or a non-number, ValueError out of range."""
    if not _finite(value) or (integer and float(value) != int(value)):
        kind = "a whole number" if integer else "a finite number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if not low <= float(value) <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return int(value) if integer else float(value)


def selection_rows(value: Any, *, compute: bool = True) -> npt.NDArray[np.int64]:
    """A ``selected`` value as row indices: a lazy selection computed (``compute``) or left out
    (no rows)."""
    if isinstance(value, LazySelection):
        return value.compute() if compute else np.zeros(0, np.int64)
    return np.asarray(value, np.int64)


class Checked(traitlets.TraitType[Any, Any]):
    """A value that passes ``check``: ``check(value)``, or ``check(owner, value)`` when ``owner``
    is true. The check returns the value to keep or raises TypeError, ValueError or IndexError
    saying what is wrong (the old value stays); None is checked like any value. Synced to the
    page (this and every trait type below), as every value the user sets is."""

    def __init__(
        self, default: Any, check: Callable[..., Any], *, owner: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(default_value=default, **kwargs)
        self.tag(sync=True)
        self._check = check
        self._owner = owner

    def validate(self, obj: Any, value: Any) -> Any:
        """``check``'s value."""
        return self._check(obj, value) if self._owner else self._check(value)


class ColumnChoice(Checked):
    """A metadata column's name ('' for none), checked by ``rule(name, columns)`` against the
    owner's columns (``owner._parts.metadata.columns``, see
    :class:`projector_widget.parts.columns.Metadata`)."""

    def __init__(self, rule: Callable[[Any, list[Any]], None], **kwargs: Any) -> None:
        def check(owner: Any, value: Any) -> str:
            rule(value, owner._parts.metadata.columns)
            return str(value)

        super().__init__("", check, owner=True, **kwargs)


class RowIndex(Checked):
    """A row of the owner (``owner.n_points`` rows), or -1 for none."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        def check(owner: Any, value: Any) -> int:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be a row index (an int, -1 for none), got {value!r}")
            if not -1 <= int(value) < owner.n_points:
                raise IndexError(
                    f"{name} {value} is out of range for {owner.n_points} points (-1 for none)"
                )
            return int(value)

        super().__init__(-1, check, owner=True, **kwargs)


def bounded(
    name: str, *, low: float, high: float, integer: bool = False
) -> Callable[[Any], int | float]:
    """A check of numbers within [low, high] (see :func:`check_number`)."""
    return lambda value: check_number(name, value, low=low, high=high, integer=integer)


class PartChecked(Checked):
    """A value checked by a method of one of the owner's parts (``owner._parts.<part>.<method>``,
    see :class:`projector_widget.parts.compose.Parts`): rules that depend on the widget's state."""

    def __init__(self, default: Any, part: str, method: str, **kwargs: Any) -> None:
        def check(owner: Any, value: Any) -> Any:
            return getattr(getattr(owner._parts, part), method)(value)

        super().__init__(default, check, owner=True, **kwargs)


def check_first_values(owner: traitlets.HasTraits, values: dict[str, Any]) -> None:
    """Run each trait's own check on its first value in ``values`` before the owner computes
    anything (its parts exist; its traits are not set yet)."""
    declared = type(owner).class_traits()
    for name, value in values.items():
        declared[name]._validate(owner, value)


#: The JSON kind of the values of traitlets' own trait types.
_TRAIT_KINDS: tuple[tuple[type[traitlets.TraitType[Any, Any]], str], ...] = (
    (traitlets.Bool, "boolean"),
    (traitlets.Int, "integer"),
    (traitlets.Float, "number"),
    (traitlets.Unicode, "string"),
    (traitlets.Dict, "object"),
    (traitlets.Container, "array"),
)
#: The JSON kind of a Python value, for a trait whose type does not say (``traitlets.Any``).
_VALUE_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
    (tuple, "array"),
)


def json_kind(trait: traitlets.TraitType[Any, Any]) -> str:
    """The JSON kind ("string", "object", ...) of ``trait``'s value as the browser gets it.

    Its type's own ``json_kind`` when it declares one (a trait with a serialiser of its own),
    else what traitlets' type says, else the kind of its default value (``traitlets.Any``
    subclasses such as ``appearance.Setting``); TypeError when none says.
    """
    declared = getattr(trait, "json_kind", None)
    if isinstance(declared, str):
        return declared
    for kind, name in _TRAIT_KINDS:
        if isinstance(trait, kind):
            return name
    default = trait.default_value
    for kind, name in _VALUE_KINDS:
        if isinstance(default, kind):
            return name
    raise TypeError(
        f"cannot tell the JSON kind of trait {trait.name!r} ({type(trait).__name__}, default "
        f"{default!r}): give its type a json_kind"
    )


def synced_kinds(cls: type[traitlets.HasTraits], base: type[traitlets.HasTraits]) -> dict[str, str]:
    """The JSON kind of every trait ``cls`` syncs with the browser beyond those of ``base`` (the
    widget framework's own), by name, sorted."""
    inherited = base.class_traits(sync=True)
    own = cls.class_traits(sync=True)
    return {name: json_kind(own[name]) for name in sorted(own) if name not in inherited}
