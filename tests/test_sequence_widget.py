"""Projector.sequence: validated steps, the step trait, drift columns, checkpoints of a log dir."""

from __future__ import annotations

from pathlib import Path

import decoders
import numpy as np
import pytest

from projector_widget import Projector
from projector_widget.parts.timeline import build_timeline

pd = pytest.importorskip("pandas")

N, D = 240, 12


def _steps(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Four groups in D dims; step 1 is step 0 rotated (nothing moved), step 2 moves rows 0-11
    into another group."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((4, D)) * 6
    groups = np.arange(N) % 4
    a = (centres[groups] + rng.standard_normal((N, D))).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    b = (a @ q).astype(np.float32)
    c = b.copy()
    c[:12] = (centres[(groups[:12] + 2) % 4] + rng.standard_normal((12, D))) @ q
    return a, b, c, groups


def _meta(groups: np.ndarray) -> dict[str, list[str]]:
    return {"group": [f"g{g}" for g in groups]}


def test_validation_errors_name_the_step_and_the_problem() -> None:
    a, b, c, _ = _steps()
    bad = b.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match=r"step 1 \('epoch 2'\): .*(NaN|finite)"):
        Projector.sequence([a, bad, c], names=["epoch 1", "epoch 2", "epoch 3"])
    with pytest.raises(ValueError, match=r"step 2 \('step 2'\) has 239 rows but step 0 has 240"):
        Projector.sequence([a, b, c[:-1]])
    with pytest.raises(TypeError, match=r"step 1 \('step 1'\)"):
        Projector.sequence([a, np.array([["x"] * D] * N, dtype=object), c])
    with pytest.raises(ValueError, match="names has 2 entries but there are 3 steps"):
        Projector.sequence([a, b, c], names=["x", "y"])
    with pytest.raises(ValueError, match="unique"):
        Projector.sequence([a, b], names=["x", "x"])
    with pytest.raises(ValueError, match="at least one step"):
        Projector.sequence([])
    with pytest.raises(TypeError, match="list of"):
        Projector.sequence(a)  # one matrix, not a list of steps


def test_steps_may_differ_in_dimensions() -> None:
    a, _, _, groups = _steps()
    wider = np.hstack([a, np.zeros((N, 5), np.float32)])
    w = Projector.sequence([a, wider], _meta(groups))
    assert w.steps == 2
    assert w.embeddings.shape == (N, D)
    w.step = 1
    assert w.embeddings.shape == (N, D + 5)


def test_step_trait_reads_sets_and_is_validated() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups), names=["e1", "e2", "e3"])
    assert (w.step, w.steps, w.step_names) == (0, 3, ["e1", "e2", "e3"])
    assert w._timeline["steps"] == 3 and w._timeline["names"] == ["e1", "e2", "e3"]
    w.step = 2
    assert w.step == 2
    np.testing.assert_array_equal(w.embeddings, c)
    for bad, err in ((3, IndexError), (-1, IndexError), (True, TypeError), (1.5, Exception)):
        with pytest.raises(err):
            w.step = bad
    assert w.step == 2
    with pytest.raises(ValueError, match="sequence"):
        Projector(a).step = 1


def test_the_shown_layout_is_the_current_steps_aligned_layout() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups), dimensions=3)
    tl = build_timeline([a, b, c])
    shown = decoders.decode_points(w._points)
    np.testing.assert_allclose(shown, tl.layouts[0], atol=np.ptp(tl.layouts[0]) / 30000)
    w.step = 2
    np.testing.assert_allclose(w.coordinates, tl.layouts[2], rtol=1e-6, atol=1e-6)
    # The wire carries every step, each quantised like _points.
    q = np.frombuffer(w._timeline["data"], "<u2").reshape(3, N, 3)
    step2 = decoders.dequantize(q[2], w._timeline["lo"][2], w._timeline["hi"][2])
    np.testing.assert_allclose(step2, tl.layouts[2], atol=np.ptp(tl.layouts[2]) / 30000)


def test_other_views_are_recomputed_on_the_current_step() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups), dimensions=3)
    w.spherize = True  # not the sequence's own view: the step's rows are projected again
    w.step = 2
    single = Projector(c, dimensions=3)
    single.spherize = True
    np.testing.assert_allclose(w.coordinates, single.coordinates, rtol=1e-5, atol=1e-5)
    w.spherize = False
    np.testing.assert_allclose(
        w.explained_variance_ratio, Projector(c, dimensions=3).explained_variance_ratio, rtol=1e-6
    )
    np.testing.assert_allclose(w.coordinates, build_timeline([a, b, c]).layouts[2], atol=1e-5)


def test_neighbours_use_the_current_steps_embeddings() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups))
    before, _ = w.nearest(0, 5, "euclidean")
    assert set(groups[before]) == {groups[0]}
    w.step = 2  # row 0 now sits in the group two along
    after, _ = w.nearest(0, 5, "euclidean")
    assert set(groups[after]) == {(groups[0] + 2) % 4}


def test_an_aligned_rotated_copy_has_zero_displacement() -> None:
    a, b, _, groups = _steps()
    w = Projector.sequence([a, b], _meta(groups))
    w.step = 1
    df = w.drift(k=10, metric="euclidean")
    scale = float(np.ptp(w.coordinates))
    assert df["displacement"].max() < 1e-5 * scale
    np.testing.assert_array_equal(df["neighbours shared"], 1.0)


def test_drift_finds_the_rows_moved_on_purpose_and_sets_the_columns() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups))
    w.step = 2
    df = w.drift(k=10, metric="euclidean")
    assert list(df.columns) == ["displacement", "neighbours shared"]
    assert len(df) == N
    assert set(df.nlargest(12, "displacement").index) == set(range(12))
    assert df["neighbours shared"][:12].max() < 0.2
    assert df["neighbours shared"][12:].median() > 0.5
    assert w.columns["displacement"] == "number"
    assert w.columns["neighbours shared"] == "number"
    np.testing.assert_allclose(w.metadata["displacement"], df["displacement"], rtol=1e-6)
    w.color_by = "displacement"  # a column to colour by
    rows = w.select_drifted(top=12)
    np.testing.assert_array_equal(rows, np.arange(12))
    np.testing.assert_array_equal(w.selected, np.arange(12))
    with pytest.raises(ValueError, match="top"):
        w.select_drifted(top=0)
    with pytest.raises(ValueError, match="sequence"):
        Projector(a).drift()


try:
    import tensorflow as tf
    from tensorboard.plugins import projector as tb_projector
except ImportError:  # pragma: no cover - the tensorflow extra is in dev
    tf = tb_projector = None


@pytest.mark.skipif(tf is None, reason="needs the tensorflow extra")
def test_from_tensorboard_reads_every_checkpoint_as_a_sequence(tmp_path: Path) -> None:
    a, b, c, groups = _steps()
    root = tmp_path / "log"
    root.mkdir()
    (root / "metadata.tsv").write_text("".join(f"g{g}\n" for g in groups))
    var = tf.Variable(a)
    ckpt = tf.train.Checkpoint(embedding=var)
    for values in (a, b, c):  # one checkpoint per "epoch": ckpt-1, ckpt-2, ckpt-3
        var.assign(values)
        ckpt.save(str(root / "ckpt"))
    config = tb_projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    emb.metadata_path = "metadata.tsv"
    tb_projector.visualize_embeddings(str(root), config)

    latest = Projector.from_tensorboard(root)  # the default reads the latest, as before
    np.testing.assert_array_equal(latest.embeddings, c)
    assert latest.steps == 1

    w = Projector.from_tensorboard(root, checkpoints="all")
    assert w.steps == 3
    assert w.step_names == ["ckpt-1", "ckpt-2", "ckpt-3"]
    np.testing.assert_array_equal(w.embeddings, a)
    w.step = 2
    np.testing.assert_array_equal(w.embeddings, c)
    assert w.metadata["label"][5] == f"g{groups[5]}"
    assert set(w.drift(metric="euclidean").nlargest(12, "displacement").index) == set(range(12))
    with pytest.raises(ValueError, match="checkpoints must be 'latest' or 'all'"):
        Projector.from_tensorboard(root, checkpoints="every")


def test_isolating_at_a_later_step_keeps_the_rows_where_they_show() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups))
    w.step = 2
    before = w.coordinates.copy()
    w.isolate(range(100))
    np.testing.assert_allclose(w.coordinates[:100], before[:100], atol=1e-5)
    sent = decoders.decode_points(w._points)[:100]
    np.testing.assert_allclose(sent, before[:100, : sent.shape[1]], atol=np.ptp(before) / 30000)
    w.show_all()
    np.testing.assert_allclose(w.coordinates, before, atol=1e-5)


def test_other_principal_components_show_and_the_browser_is_told_to_stop_stepping() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups), dimensions=3)
    w.step = 2
    assert w._timeline_active
    w.project("pca", components=[3, 4, 5])
    assert not w._timeline_active
    single = Projector(c, dimensions=3)
    single.project("pca", components=[3, 4, 5])
    np.testing.assert_allclose(w.coordinates, single.coordinates, rtol=1e-5, atol=1e-5)
    w.project("pca")
    assert w._timeline_active
    np.testing.assert_allclose(w.coordinates, build_timeline([a, b, c]).layouts[2], atol=1e-5)
    w.spherize = True
    assert not w._timeline_active
    assert not Projector(a)._timeline_active  # not a sequence


def test_a_query_at_a_later_step_lands_where_that_step_shows_its_row() -> None:
    a, b, c, groups = _steps()
    wider = np.hstack([c, np.ones((N, 5), np.float32)])  # another dimensionality
    current = {"step": 0}
    steps = [a, b, wider]

    def encoder(texts: list[str]) -> np.ndarray:
        return steps[current["step"]][[7]]  # "embeds" the text as row 7 of the step

    w = Projector.sequence(steps, _meta(groups), encoder=encoder)
    for step in (0, 2):
        current["step"] = step
        w.step = step
        idx, _ = w.query("row seven", k=3)
        assert idx[0] == 7
        np.testing.assert_allclose(
            w._query_point["coords"], w.coordinates[7], atol=1e-4 * np.ptp(w.coordinates)
        )


def test_clusters_go_stale_when_the_step_changes_and_not_before() -> None:
    pytest.importorskip("sklearn")
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups))
    w.dimensions = 2
    w.step = 2
    w.cluster()
    assert w._clusters["stale"] is False
    w.project("pca")  # the same view again: nothing moved on screen
    assert w._clusters["stale"] is False
    w.step = 1  # the points move in the browser: the names are of another layout
    assert w._clusters["stale"] is True


def test_select_drifted_uses_the_displacement_alone_and_errors_name_the_problem() -> None:
    a, b, c, groups = _steps()
    w = Projector.sequence([a, b, c], _meta(groups))
    w.step = 2
    np.testing.assert_array_equal(w.select_drifted(top=12), np.arange(12))
    assert "displacement" not in w.columns  # no drift() run behind it
    with pytest.raises(ValueError, match="sequence"):
        Projector(a).select_drifted()
    one = Projector.sequence([a[:1], b[:1]])
    one.step = 1
    with pytest.raises(ValueError, match="needs at least 2 rows"):
        one.drift()
    with pytest.raises(ValueError, match=r"k must be a number of neighbours from 1 to 239"):
        w.drift(k=240)


def test_a_large_sequence_reuses_the_first_steps_pca_and_sends_its_points_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from projector_widget.compute import backend as backend_mod
    from projector_widget.parts.points import PointsPart

    monkeypatch.setattr(backend_mod, "EXACT_MAX_ROWS", 100)  # 240 rows count as large
    a, b, c, groups = _steps()
    sent: list[object] = []
    monkeypatch.setattr(
        PointsPart, "show", lambda self, coords, ms: sent.append(coords), raising=True
    )
    w = Projector.sequence([a, b, c], _meta(groups), dimensions=3)
    assert w.pca_refined.is_set()  # nothing left to refine in the background
    assert w._parts.session.pca_result() is w._parts.timeline.steps.pcas[0]
    assert sent == []  # the first _points already were the sequence's layout
    tl = build_timeline([a, b, c])
    np.testing.assert_allclose(
        decoders.decode_points(w._points), tl.layouts[0], atol=np.ptp(tl.layouts[0]) / 30000
    )
    assert w._timeline_active and w._timeline["steps"] == 3


def test_drift_never_overwrites_a_column_of_the_users_but_replaces_its_own() -> None:
    a, b, _, groups = _steps()
    meta = {**_meta(groups), "displacement": ["mine"] * N}
    w = Projector.sequence([a, b], meta)
    w.step = 1
    with pytest.raises(ValueError, match="column 'displacement' of yours"):
        w.drift(k=5)
    assert list(w.metadata["displacement"][:2]) == ["mine", "mine"]
    assert "neighbours shared" not in w.columns  # refused before any work or column
    plain = Projector.sequence([a, b], _meta(groups))
    plain.step = 1
    plain.drift(k=5)
    plain.drift(k=5)  # its own columns: replaced, not refused
    assert plain.columns["displacement"] == "number"


def test_drift_says_what_can_be_done_about_a_column_of_yours() -> None:
    a, b, _, groups = _steps()
    w = Projector.sequence([a, b], {**_meta(groups), "neighbours shared": [0.5] * N})
    w.step = 1
    with pytest.raises(ValueError, match="column 'neighbours shared' of yours") as info:
        w.drift(k=5)
    message = str(info.value)
    assert "into=" not in message  # drift() takes no into
    assert "always writes" in message and "rename" in message
    assert "Projector.sequence(" in message
