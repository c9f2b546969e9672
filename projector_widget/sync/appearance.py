"""How points look: named colour maps and palettes, opacity and point sizes, and their checks.

The names are declared here once. :func:`offered` sends them to the browser inside the
``_spec`` trait (as :class:`AppearanceSpec`), with the d3-scale-chromatic scheme that draws each
(``interpolate<scheme>`` for a colour map, ``scheme<scheme>`` for a palette), so the kernel, the
side panel and the saved page offer exactly the same choices. The widget's own 20-colour palette is not in
d3-scale-chromatic; its colours travel in the spec.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any, Literal

import traitlets

from projector_widget.sync.declare import to_json

ColorMapKind = Literal["sequential", "diverging", "cyclical"]

#: Colour maps for numeric columns: name -> (d3-scale-chromatic scheme, kind). The first is the
#: default (viridis, as before this option existed).
COLOR_MAPS: Mapping[str, tuple[str, ColorMapKind]] = {
    # perceptually uniform, multi-hue
    "viridis": ("Viridis", "sequential"),
    "magma": ("Magma", "sequential"),
    "inferno": ("Inferno", "sequential"),
    "plasma": ("Plasma", "sequential"),
    "cividis": ("Cividis", "sequential"),
    "turbo": ("Turbo", "sequential"),
    "warm": ("Warm", "sequential"),
    "cool": ("Cool", "sequential"),
    "cubehelix": ("CubehelixDefault", "sequential"),
    # single hue
    "blues": ("Blues", "sequential"),
    "greens": ("Greens", "sequential"),
    "greys": ("Greys", "sequential"),
    "oranges": ("Oranges", "sequential"),
    "purples": ("Purples", "sequential"),
    "reds": ("Reds", "sequential"),
    # ColorBrewer multi-hue
    "bugn": ("BuGn", "sequential"),
    "bupu": ("BuPu", "sequential"),
    "gnbu": ("GnBu", "sequential"),
    "orrd": ("OrRd", "sequential"),
    "pubugn": ("PuBuGn", "sequential"),
    "pubu": ("PuBu", "sequential"),
    "purd": ("PuRd", "sequential"),
    "rdpu": ("RdPu", "sequential"),
    "ylgnbu": ("YlGnBu", "sequential"),
    "ylgn": ("YlGn", "sequential"),
    "ylorbr": ("YlOrBr", "sequential"),
    "ylorrd": ("YlOrRd", "sequential"),
    # diverging
    "rdbu": ("RdBu", "diverging"),
    "rdylbu": ("RdYlBu", "diverging"),
    "rdylgn": ("RdYlGn", "diverging"),
    "rdgy": ("RdGy", "diverging"),
    "brbg": ("BrBG", "diverging"),
    "prgn": ("PRGn", "diverging"),
    "piyg": ("PiYG", "diverging"),
    "puor": ("PuOr", "diverging"),
    "spectral": ("Spectral", "diverging"),
    # cyclical
    "rainbow": ("Rainbow", "cyclical"),
    "sinebow": ("Sinebow", "cyclical"),
}

#: The widget's own palette (the default): 10 saturated hues, then 10 lighter or darker
#: companions, so that 20 categories get distinct colours before the rest become "other".
PROJECTOR20: tuple[str, ...] = (
    "#1f77d4",
    "#f28e1c",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#3b3b98",
    "#9ecae9",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
    "#6b6ecf",
)

#: Palettes for categorical columns: name -> d3-scale-chromatic scheme, or the colours
#: themselves. The first is the default. Categories beyond a palette's colours are "other".
PALETTES: Mapping[str, str | tuple[str, ...]] = {
    "projector20": PROJECTOR20,
    "tableau10": "Tableau10",
    "category10": "Category10",
    "observable10": "Observable10",
    "set1": "Set1",
    "set2": "Set2",
    "set3": "Set3",
    "paired": "Paired",
    "dark2": "Dark2",
    "accent": "Accent",
    "pastel1": "Pastel1",
    "pastel2": "Pastel2",
}

#: Other names people type for the same scheme (matplotlib's tab10 is d3's category10).
ALIASES: Mapping[str, str] = {"tab10": "category10", "cubehelixdefault": "cubehelix"}

#: A colour map name ending in this runs the other way ("viridis_r"), as in matplotlib.
REVERSED = "_r"

DEFAULT_COLOR_MAP = next(iter(COLOR_MAPS))
DEFAULT_PALETTE = next(iter(PALETTES))
#: Opaque points, as before this option existed.
DEFAULT_OPACITY = 1.0
#: ``size_range``: the size of the smallest and of the largest value as multiples of the
#: point size.
DEFAULT_SIZE_RANGE = (0.5, 2.5)
#: Bounds of each ``size_range`` factor.
SIZE_FACTOR_LIMITS = (0.1, 32.0)
#: The largest ``point_size`` in CSS pixels (0 chooses one from the number of points).
POINT_SIZE_MAX = 256.0


class Setting(traitlets.Any):
    """A trait checked by the widget's validator alone, None included (``traitlets.Any`` lets
    None through unchecked), so a bad value gets that validator's TypeError or ValueError."""

    allow_none = False


@dataclasses.dataclass(frozen=True)
class ColorMapSpec:
    """A colour map for numeric columns: d3-scale-chromatic's ``interpolate<scheme>`` draws it."""

    name: str
    scheme: str
    kind: ColorMapKind


@dataclasses.dataclass(frozen=True)
class SchemePalette:
    """A palette for categorical columns: d3-scale-chromatic's ``scheme<scheme>``."""

    name: str
    scheme: str


@dataclasses.dataclass(frozen=True)
class ColorsPalette:
    """A palette for categorical columns with colours of its own (CSS colours)."""

    name: str
    colors: list[str]


@dataclasses.dataclass(frozen=True)
class AppearanceSpec:
    """The choices of how points look, the defaults first: colour maps and palettes by name,
    the suffix that reverses a colour map ("viridis_r"), the bounds of each ``size_range``
    factor and the largest ``point_size`` in CSS pixels."""

    color_maps: list[ColorMapSpec]
    palettes: list[SchemePalette | ColorsPalette]
    reversed_suffix: str
    size_factor_limits: tuple[float, float]
    point_size_max: float


def offered() -> AppearanceSpec:
    """The appearance part of ``_spec``: every name the browser offers and how to draw it."""
    return AppearanceSpec(
        color_maps=[
            ColorMapSpec(name, scheme, kind) for name, (scheme, kind) in COLOR_MAPS.items()
        ],
        palettes=[
            SchemePalette(name, source)
            if isinstance(source, str)
            else ColorsPalette(name, list(source))
            for name, source in PALETTES.items()
        ],
        reversed_suffix=REVERSED,
        size_factor_limits=SIZE_FACTOR_LIMITS,
        point_size_max=POINT_SIZE_MAX,
    )


def describe() -> dict[str, Any]:
    """:func:`offered` as the JSON the browser receives."""
    return to_json(offered())


def _key(value: str) -> str:
    """``value`` as the names are spelled here: lower case, no d3 export prefix, aliases
    resolved ("RdBu", "interpolateRdBu" and "rdbu" are one name)."""
    key = value.strip().lower()
    for prefix in ("interpolate", "scheme"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    return ALIASES.get(key, key)


def _unknown(what: str, value: str, key: str, names: list[str], hint: str) -> ValueError:
    close = difflib.get_close_matches(key, names, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown {what} {value!r}{guess}; choose one of {names}{hint}")


def check_color_map(value: Any) -> str:
    """The colour map ``value`` names, spelled as ``color_map`` holds it ('viridis',
    'rdbu_r'): any case, matplotlib or d3 spelling, ``_r`` for reversed. ValueError listing
    the choices otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"color_map must be a colour map name such as 'viridis', got {value!r}")
    key = _key(value)
    stem = _key(key[: -len(REVERSED)]) if key.endswith(REVERSED) else ""
    reversed_ = key not in COLOR_MAPS and stem in COLOR_MAPS
    if reversed_:
        key = stem
    if key in COLOR_MAPS:
        return key + (REVERSED if reversed_ else "")
    if key in PALETTES:
        raise ValueError(
            f"{value!r} is a palette of distinct colours for categorical columns: set "
            f"palette={key!r}; color_map takes one of {list(COLOR_MAPS)} (any case, "
            f"{REVERSED!r} appended reverses one)"
        )
    hint = f" (any case; {REVERSED!r} appended reverses one, e.g. 'viridis_r')"
    raise _unknown("color_map", value, key, list(COLOR_MAPS), hint)


def check_palette(value: Any) -> str:
    """The palette ``value`` names, spelled as ``palette`` holds it ('tableau10'): any case,
    matplotlib or d3 spelling. ValueError listing the choices otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"palette must be a palette name such as 'tableau10', got {value!r}")
    key = _key(value)
    if key in PALETTES:
        return key
    stem = _key(key[: -len(REVERSED)]) if key.endswith(REVERSED) else key
    if stem in COLOR_MAPS:
        raise ValueError(
            f"{value!r} is a continuous colour map for numeric columns: set "
            f"color_map={value!r}; palette takes one of {list(PALETTES)} (any case)"
        )
    raise _unknown("palette", value, key, list(PALETTES), " (any case)")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return out


def check_opacity(value: Any) -> float:
    """``value`` as the opacity of the points: above 0, at most 1 (opaque)."""
    out = _number("opacity", value)
    if not 0 < out <= 1:
        raise ValueError(
            f"opacity must be above 0 and at most 1 (1 is opaque, 0.2 lets overlapping points "
            f"show through), got {value!r}"
        )
    return out


def check_size_range(value: Any) -> tuple[float, float]:
    """``value`` as ``size_range``: (size at the column's minimum, size at its maximum), each a
    multiple of the point size within :data:`SIZE_FACTOR_LIMITS` (the first may be the larger:
    large values then get small points)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(
            "size_range must be a pair (smallest, largest) of multiples of the point size, "
            f"e.g. (0.5, 2.5); got {value!r}"
        )
    low, high = SIZE_FACTOR_LIMITS
    out = (_number("size_range[0]", value[0]), _number("size_range[1]", value[1]))
    for i, factor in enumerate(out):
        if not low <= factor <= high:
            raise ValueError(
                f"size_range[{i}] must be between {low:g} and {high:g} times the point size, "
                f"got {value[i]!r}"
            )
    return out
