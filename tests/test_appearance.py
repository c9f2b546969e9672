"""How points look: colour maps, palettes, opacity and sizes, checked and synced both ways."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from projector_widget import Projector
from projector_widget.parts import files
from projector_widget.sync import appearance, protocol

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def w() -> Projector:
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((60, 8))
    meta = {
        "kind": [f"k{i % 4}" for i in range(60)],
        "score": rng.random(60),
        "word": [f"w{i}" for i in range(60)],
    }
    return Projector(emb, meta)


def update_from_browser(widget: Projector, state: dict) -> None:
    """Deliver a state update the way the browser's view sends one (the comm's update message)."""
    widget.comm.handle_msg(
        {
            "content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
            "buffers": [],
        }
    )


# ----------------------------------------------------------------------------- defaults


def test_defaults_keep_the_look_points_had(w):
    assert w.color_map == "viridis"
    assert w.palette == "projector20"
    assert w.opacity == 1.0
    assert w.size_by == "" and w.size_range == (0.5, 2.5)
    assert appearance.PALETTES["projector20"] == appearance.PROJECTOR20
    assert len(set(appearance.PROJECTOR20)) == 20
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in appearance.PROJECTOR20)


def test_constructor_keywords_and_their_documentation():
    emb = np.random.default_rng(1).standard_normal((40, 4))
    w = Projector(
        emb,
        {"v": np.arange(40.0) ** 0.5, "c": ["a", "b"] * 20},
        color_map="Magma_R",
        palette="Set2",
        opacity=0.4,
        size_by="v",
        size_range=[1, 4],
    )
    assert (w.color_map, w.palette, w.opacity) == ("magma_r", "set2", 0.4)
    assert (w.size_by, w.size_range) == ("v", (1.0, 4.0))
    doc = Projector.__doc__ or ""
    for name in ("color_map:", "palette:", "opacity:", "size_by:", "size_range:"):
        assert name in doc, name


def test_constructor_refuses_a_bad_look_before_building_anything():
    emb = np.zeros((10, 3)) + np.arange(10)[:, None]
    with pytest.raises(
        ValueError, match="unknown color_map 'virdis' \\(did you mean 'viridis'\\?\\)"
    ):
        Projector(emb, color_map="virdis")
    with pytest.raises(ValueError, match="cannot size points by 'x': there is no metadata column"):
        Projector(emb, size_by="x")
    with pytest.raises(ValueError, match="opacity must be above 0"):
        Projector(emb, opacity=0)


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("typed", "held"),
    [
        ("viridis", "viridis"),
        ("Viridis", "viridis"),
        (" VIRIDIS ", "viridis"),
        ("viridis_r", "viridis_r"),
        ("Viridis_R", "viridis_r"),
        ("RdBu", "rdbu"),
        ("RdBu_r", "rdbu_r"),
        ("interpolateRdYlBu", "rdylbu"),
        ("YlGnBu", "ylgnbu"),
        ("cubehelixDefault", "cubehelix"),
        ("Turbo", "turbo"),
    ],
)
def test_color_map_names_in_any_case_or_spelling(w, typed, held):
    w.color_map = typed
    assert w.color_map == held


@pytest.mark.parametrize(
    ("typed", "held"),
    [
        ("tableau10", "tableau10"),
        ("Tableau10", "tableau10"),
        ("tab10", "category10"),
        ("Set1", "set1"),
        ("schemePaired", "paired"),
        ("Pastel2", "pastel2"),
        ("PROJECTOR20", "projector20"),
    ],
)
def test_palette_names_in_any_case_or_spelling(w, typed, held):
    w.palette = typed
    assert w.palette == held


def test_unknown_names_list_every_choice_and_change_nothing(w):
    w.color_map, w.palette = "plasma", "dark2"
    with pytest.raises(ValueError) as err:
        w.color_map = "viridus"
    message = str(err.value)
    assert "did you mean 'viridis'?" in message
    assert all(repr(name) in message for name in appearance.COLOR_MAPS)
    assert "'_r' appended reverses" in message
    with pytest.raises(ValueError) as err:
        w.palette = "tableu"
    assert all(repr(name) in str(err.value) for name in appearance.PALETTES)
    assert (w.color_map, w.palette) == ("plasma", "dark2")


def test_a_palette_given_as_colour_map_or_back_says_which_trait_takes_it(w):
    with pytest.raises(ValueError, match=r"palette of distinct colours .* set palette='set1'"):
        w.color_map = "Set1"
    with pytest.raises(ValueError, match=r"continuous colour map .* set color_map='magma_r'"):
        w.palette = "magma_r"
    with pytest.raises(ValueError, match="unknown palette 'viridis_x'"):
        w.palette = "viridis_x"
    with pytest.raises(ValueError, match="unknown color_map 'tableau10_r'"):
        w.color_map = "tableau10_r"  # palettes are not reversed


@pytest.mark.parametrize("value", [3, None, b"viridis", ["viridis"]])
def test_names_must_be_strings(w, value):
    with pytest.raises(TypeError, match="color_map must be a colour map name"):
        w.color_map = value
    with pytest.raises(TypeError, match="palette must be a palette name"):
        w.palette = value


@given(st.text(max_size=12))
def test_any_text_is_a_name_held_exactly_or_a_value_error(text):
    try:
        held = appearance.check_color_map(text)
    except ValueError as exc:
        assert "choose one of" in str(exc) or "palette=" in str(exc)
    else:
        stem = held.removesuffix(appearance.REVERSED)
        assert stem in appearance.COLOR_MAPS
        assert appearance.check_color_map(held) == held  # held names are fixed points
    try:
        held = appearance.check_palette(text)
    except ValueError as exc:
        assert "choose one of" in str(exc) or "color_map=" in str(exc)
    else:
        assert held in appearance.PALETTES and appearance.check_palette(held) == held


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", [1, 1.0, 0.05, 0.5, np.float32(0.25), np.int64(1)])
def test_opacity_takes_numbers_in_zero_one(w, value):
    w.opacity = value
    assert w.opacity == pytest.approx(float(value)) and type(w.opacity) is float


@pytest.mark.parametrize("value", [0, -0.1, 1.01, float("nan"), float("inf")])
def test_opacity_out_of_range(w, value):
    with pytest.raises(ValueError, match="opacity must be"):
        w.opacity = value
    assert w.opacity == 1.0


@pytest.mark.parametrize("value", [True, "0.5", None])
def test_opacity_must_be_a_number(w, value):
    with pytest.raises(TypeError, match="opacity must be a number"):
        w.opacity = value


def test_size_by_takes_numeric_columns_only(w):
    w.size_by = "score"
    assert w.size_by == "score"
    w.size_by = ""
    with pytest.raises(ValueError, match=r"'kind' holds categories, not numbers.*\['score'\]"):
        w.size_by = "kind"
    with pytest.raises(ValueError, match="'word' holds free text"):
        w.size_by = "word"
    with pytest.raises(ValueError, match="there is no metadata column 'nope'"):
        w.size_by = "nope"
    with pytest.raises(TypeError, match="size_by must be a column name"):
        w.size_by = 3
    assert w.size_by == ""


def test_size_range_pairs(w):
    w.size_range = [1, 3]
    assert w.size_range == (1.0, 3.0)
    w.size_range = (4, 0.5)  # downward: large values get small points
    assert w.size_range == (4.0, 0.5)
    lo, hi = appearance.SIZE_FACTOR_LIMITS
    with pytest.raises(ValueError, match=rf"size_range\[1\] must be between {lo:g} and {hi:g}"):
        w.size_range = (1, 100)
    with pytest.raises(ValueError, match=r"size_range\[0\] must be between"):
        w.size_range = (0, 1)
    for bad in ((1,), (1, 2, 3), "ab", 2.0):
        with pytest.raises(TypeError, match="size_range must be a pair"):
            w.size_range = bad
    with pytest.raises(TypeError, match=r"size_range\[0\] must be a number"):
        w.size_range = ("1", 2)
    assert w.size_range == (4.0, 0.5)


def test_point_size_limit_is_the_one_the_browser_gets(w):
    w.point_size = appearance.POINT_SIZE_MAX
    with pytest.raises(ValueError, match="between 0 and 256"):
        w.point_size = appearance.POINT_SIZE_MAX + 1
    assert protocol.spec()["appearance"]["point_size_max"] == appearance.POINT_SIZE_MAX


def test_label_edits_keep_the_size_column(w):
    w.size_by = "score"
    w.label_selection("score", 0.25, rows=[0, 1])  # a number: the column stays numeric
    w.label_selection("note", "hello", rows=[2])  # a new text column
    with pytest.raises(ValueError, match="'score' is numeric"):
        w.label_selection("score", "text", rows=[3])
    assert w.size_by == "score" and w.columns["score"] == "number"
    assert w.metadata["score"][0] == 0.25


# ----------------------------------------------------------------------------- both ways


def test_the_browser_sets_every_appearance_trait(w):
    seen: list[tuple[str, object]] = []
    w.observe(lambda c: seen.append((c["name"], c["new"])), names=appearance_traits())
    update_from_browser(
        w,
        {
            "color_map": "rdbu_r",
            "palette": "paired",
            "opacity": 0.35,
            "size_by": "score",
            "size_range": [0.8, 3],
            "point_size": 6,
        },
    )
    assert (w.color_map, w.palette, w.opacity) == ("rdbu_r", "paired", 0.35)
    assert (w.size_by, w.size_range, w.point_size) == ("score", (0.8, 3.0), 6.0)
    assert dict(seen) == {
        "color_map": "rdbu_r",
        "palette": "paired",
        "opacity": 0.35,
        "size_by": "score",
        "size_range": (0.8, 3.0),
    }


def test_python_values_reach_the_browser_state(w):
    w.color_map, w.palette, w.opacity = "Inferno", "Accent", 0.5
    w.size_by, w.size_range = "score", (1, 2)
    state = w.get_state()
    assert state["color_map"] == "inferno" and state["palette"] == "accent"
    assert state["opacity"] == 0.5
    assert state["size_by"] == "score" and list(state["size_range"]) == [1.0, 2.0]


def test_saved_pages_keep_the_look(w):
    w.color_map, w.palette, w.opacity = "cividis_r", "set3", 0.6
    w.size_by, w.size_range = "score", (2, 5)
    state = files.page_payload(w._parts, w.get_state())["state"]
    assert state["color_map"] == "cividis_r" and state["palette"] == "set3"
    assert state["opacity"] == 0.6
    assert state["size_by"] == "score" and list(state["size_range"]) == [2.0, 5.0]
    assert state["_spec"]["appearance"] == appearance.describe()
    page = w.to_html()
    assert '"color_map":"cividis_r"' in page and '"size_by":"score"' in page


def appearance_traits() -> list[str]:
    return ["color_map", "palette", "opacity", "size_by", "size_range"]


# ----------------------------------------------------------------------------- one list


def test_spec_lists_every_name_once_with_its_scheme_and_the_defaults_first():
    spec = protocol.spec()["appearance"]
    maps = [m["name"] for m in spec["color_maps"]]
    palettes = [p["name"] for p in spec["palettes"]]
    assert maps == list(appearance.COLOR_MAPS) and maps[0] == appearance.DEFAULT_COLOR_MAP
    assert palettes == list(appearance.PALETTES) and palettes[0] == appearance.DEFAULT_PALETTE
    assert not set(maps) & set(palettes)
    assert {m["kind"] for m in spec["color_maps"]} == {"sequential", "diverging", "cyclical"}
    for p in spec["palettes"]:
        assert ("scheme" in p) != ("colors" in p), p
    assert spec["reversed_suffix"] == appearance.REVERSED
    assert spec["size_factor_limits"] == list(appearance.SIZE_FACTOR_LIMITS)
    for name in ("viridis", "magma", "inferno", "plasma", "cividis", "turbo", "blues", "rdbu"):
        assert name in maps
    for name in ("tableau10", "category10", "set1", "set2", "set3", "paired", "dark2"):
        assert name in palettes
    for name in ("accent", "pastel1", "pastel2"):
        assert name in palettes


NODE_CHECK = """
const [bundle, specText] = process.argv.slice(1);
const colors = await import(bundle);
const spec = JSON.parse(specText);
const bad = [];
for (const m of spec.color_maps) {
  const f = colors.schemeInterpolator(m.scheme);
  if (!f) { bad.push(m.name); continue; }
  for (const t of [0, 0.5, 1]) if (!colors.parseColor(f(t))) bad.push(`${m.name}(${t})`);
}
for (const p of spec.palettes) {
  const css = p.scheme ? colors.schemeColors(p.scheme) : p.colors;
  if (!css || css.length < 8 || css.length > colors.PALETTE_MAX || css.some((c) => !colors.parseColor(c))) bad.push(p.name);
}
console.log(JSON.stringify(bad));
"""


def test_every_name_the_kernel_offers_is_drawn_by_the_frontend(tmp_path):
    """The frontend's own colour code (js/scene/colors.ts, bundled with d3-scale-chromatic)
    finds every scheme the spec names, and each one gives colours it can parse."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    node = shutil.which("node")
    if node is None or not esbuild.exists():
        pytest.skip("needs node and the npm packages (npm ci)")
    bundle = tmp_path / "colors.mjs"
    subprocess.run(
        [str(esbuild), "js/scene/colors.ts", "--bundle", "--format=esm", f"--outfile={bundle}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    spec = json.dumps(protocol.spec()["appearance"])
    out = subprocess.run(
        [node, "--input-type=module", "-e", NODE_CHECK, bundle.as_uri(), spec],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(out.stdout) == []
