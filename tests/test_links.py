"""Linked projectors (projector_widget.links): a selection made in one shows in the others,
whatever the kind of view each one is (points drawn, or a density overview)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from frontend import send_from_browser

from projector_widget import LazySelection, Projector, link_selection
from projector_widget.compute import overview
from projector_widget.compute.overview import SelectionTooLarge
from projector_widget.compute.overview import index as overview_index
from projector_widget.sync import wire

N = 3000


@pytest.fixture
def linked(monkeypatch: pytest.MonkeyPatch) -> tuple[Projector, Projector]:
    """An overview of N rows (above 1,000) linked to a projector that draws the same N rows;
    selections above 100 rows are lazy in the overview."""
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 3, N)
    x = (rng.normal(size=(3, 5))[groups] * 4 + rng.normal(size=(N, 5))).astype(np.float32)
    meta = {"group": [f"g{g}" for g in groups]}
    big = Projector(x, meta, overview_above=1000)
    small = Projector(x, meta)
    for w in (big, small):
        w.send = lambda content, buffers=None: None  # type: ignore[method-assign]
    monkeypatch.setattr(overview, "SELECTED_MAX", 100)
    link_selection(big, small)
    return big, small


def _lasso_everything(w: Projector) -> None:
    x0, y0, s = w._overview["domain"]
    a, b = x0 - 1, x0 + s + 1
    square = [[a, y0 - 1], [b, y0 - 1], [b, y0 + s + 1], [a, y0 + s + 1]]
    message = {"type": "lasso", "version": w._overview["version"], "polygon": square}
    send_from_browser(w, {**message, "mode": "replace"})


def test_a_lazy_selection_reaches_a_points_view_as_its_rows(linked: Any) -> None:
    big, small = linked
    _lasso_everything(big)
    assert isinstance(big.selected, LazySelection) and len(big.selected) == N
    # The view that draws points holds indices: its page is sent them, and every
    # feature that reads the selection sees every row.
    assert isinstance(small.selected, np.ndarray)
    assert small.selected.size == N and small.selected.tolist() == list(range(N))
    state = small.get_state()["selected"]
    assert "lazy" not in state
    assert np.frombuffer(state["indices"], "<u4").tolist() == list(range(N))
    assert small.label_selection("group", "picked") == N
    assert len(small.save_bookmark("all")["selected"]) == N
    # The overview keeps its own lazy selection.
    assert isinstance(big.selected, LazySelection)
    assert wire.encode_selection(big.selected)["lazy"] is True


def test_a_lazy_selection_too_large_for_the_kernel_is_refused_by_a_points_view(
    linked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    big, small = linked
    sent: list[dict[str, Any]] = []
    big.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    big.selected = small.selected = [5, 6]
    monkeypatch.setattr(overview_index, "_available_bytes", lambda: 8 * N)
    _lasso_everything(big)
    # The lasso's answer is an error that says why and what to do; no projector changed.
    errors = [m["message"] for m in sent if m["type"] == "error"]
    assert errors and "linked projector cannot take this selection" in errors[-1]
    assert "draws each of its 3,000 points" in errors[-1] and "fewer rows" in errors[-1]
    assert small.selected.tolist() == big.selected.tolist() == [5, 6]
    # The same refusal for a lazy selection assigned in Python.
    monkeypatch.setattr(overview_index, "_available_bytes", lambda: 8 * N * 4)
    _lasso_everything(big)
    lazy = big.selected
    assert isinstance(lazy, LazySelection)
    monkeypatch.setattr(overview_index, "_available_bytes", lambda: 8 * N)
    standalone = Projector(np.asarray(small.embeddings))
    with pytest.raises(SelectionTooLarge, match=r"draws each of its 3,000 points.*fewer rows"):
        standalone.selected = lazy
    assert standalone.selected.size == 0
