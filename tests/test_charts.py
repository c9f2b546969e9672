"""The cross-filter chart's trait: which column it shows, checked against the metadata."""

from __future__ import annotations

import numpy as np
import pytest

from projector_widget import Projector


@pytest.fixture
def w() -> Projector:
    rng = np.random.default_rng(0)
    meta = {
        "digit": [str(i % 10) for i in range(60)],
        "ink": rng.random(60),
        "note": [f"row {i}" for i in range(60)],
    }
    return Projector(rng.standard_normal((60, 8)), meta, dimensions=2)


def test_chart_shows_category_and_number_columns(w: Projector) -> None:
    assert w.chart == ""
    w.chart = "digit"
    assert w.get_state("chart") == {"chart": "digit"}
    w.chart = "ink"
    w.chart = ""
    assert w.chart == ""


@pytest.mark.parametrize(
    ("name", "why"),
    [("note", "holds free text"), ("nope", "is not a metadata column")],
)
def test_chart_refuses_what_it_cannot_count(w: Projector, name: str, why: str) -> None:
    w.chart = "digit"
    with pytest.raises(ValueError, match=why) as err:
        w.chart = name
    assert "['digit', 'ink']" in str(err.value)
    assert w.chart == "digit"


def test_chart_closes_when_its_column_becomes_text(w: Projector) -> None:
    w.chart = "digit"
    w.set_column("ink", np.arange(60.0))
    assert w.chart == "digit"
    w.set_column("digit", [f"unique {i}" for i in range(60)])
    assert w.columns["digit"] == "text"
    assert w.chart == ""
