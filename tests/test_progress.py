"""progress.py and the long operations that report through it: the phases and their order
(t-SNE, UMAP, the approximate index, TSV files, log directories), the widget's status while a
view is displayed and tqdm bars while none is, throttling, and the thread rules of t-SNE
(``n_jobs``) and UMAP (a seed runs on one core, no seed on every core)."""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any

import numpy as np
import pytest
from child import run_child
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.compute.projections import tsne as tsne_mod
from projector_widget.compute.projections import umap as umap_mod
from projector_widget.formats import tensorboard as tb
from projector_widget.formats import tsv
from projector_widget.util import jobs, progress
from projector_widget.util.progress import Reporter, TqdmBars, Update
from projector_widget.util.threads import cpu_cores


class Recorder:
    """A sink that keeps every update."""

    def __init__(self) -> None:
        self.updates: list[Update] = []

    def __call__(self, update: Update) -> None:
        self.updates.append(update)

    def texts(self) -> list[str]:
        return [u.text() for u in self.updates]

    def phases(self) -> list[str]:
        """Each phase's text when it began (one entry per phase)."""
        out: list[str] = []
        step = -1
        for u in self.updates:
            if u.step != step:
                step = u.step
                out.append(u.phase + (f" ({u.detail})" if u.detail else ""))
        return out


def first_index(texts: list[str], start: str) -> int:
    return next(i for i, t in enumerate(texts) if t.startswith(start))


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """tqdm bars (shown at once) written to a buffer instead of the terminal."""
    from tqdm import tqdm

    out = io.StringIO()
    monkeypatch.setattr(
        progress, "tqdm_bars", lambda **_o: TqdmBars(tqdm, delay=0, file=out, mininterval=0)
    )
    return out


def clustered(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, d)) * 6
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, d))).astype(np.float32)


def progress_log(w: Projector) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    w.observe(lambda c: seen.append(dict(c["new"])), "_progress")
    return seen


# ----------------------------------------------------------------------------- the parts
def test_update_text_names_the_phase_and_how_far_it_is():
    assert Update("optimising layout", 120, 500).text() == "optimising layout 120/500"
    assert Update("building index", 3, 8, unit="chunks").text() == "building index 3/8 chunks"
    assert (
        Update("reading metadata.tsv", 120e6, 400e6, unit="B").text()
        == "reading metadata.tsv 120 MB/400 MB"
    )
    assert Update("reading t.tsv", 1.5e9, 3.2e9, unit="B").text() == "reading t.tsv 1.5 GB/3.2 GB"
    assert Update("reading t.tsv", 10, 512, unit="B").text() == "reading t.tsv 10 B/512 B"
    assert (
        Update("computing affinities", 400, 1000, unit="%", detail="k-NN search").text()
        == "computing affinities: 40% (k-NN search)"
    )
    assert Update("writing tensors").text() == "writing tensors"
    assert Update("computing affinities", detail="perplexities").text() == (
        "computing affinities (perplexities)"
    )
    assert Update("rows", 12345, 1_000_000).text() == "rows 12,345/1,000,000"


def test_reporter_throttles_updates_but_never_phases_or_the_end():
    now = [0.0]
    rec = Recorder()
    r = Reporter(rec, min_interval=0.2, clock=lambda: now[0])
    r.phase("a", 100)
    for i in range(1, 60):  # 59 updates within 0.059 s: held back
        now[0] += 0.001
        r.update(i)
    assert [(u.phase, u.done) for u in rec.updates] == [("a", 0)]
    now[0] += 0.2
    r.update(60)  # 0.2 s after the last one sent
    r.update(61)
    r.update(100)  # the end of a phase always goes out
    r.phase("b")
    r.update(5)
    r.flush()  # the held-back update goes out
    assert [(u.phase, u.done, u.step) for u in rec.updates] == [
        ("a", 0, 0),
        ("a", 60, 0),
        ("a", 100, 0),
        ("b", 0, 1),
        ("b", 5, 1),
    ]


def test_reporter_without_a_sink_does_nothing():
    r = Reporter(None)
    assert not r.active
    r.phase("x", 10)
    r.update(3)
    r.advance()
    r.flush()
    assert r.current == ""


def test_progress_arguments(bars):
    rec = Recorder()
    with progress.reporting(rec) as r:
        r.phase("x")
    assert rec.texts() == ["x"]
    with progress.reporting(False) as r:
        assert not r.active
    outer = Reporter(rec)
    with progress.reporting(outer) as r:
        assert r is outer  # passed down unchanged: nested steps report to the same place
    with progress.reporting(None) as r:
        r.phase("to a bar", 4, unit="rows")
        r.update(4)
    assert "to a bar" in bars.getvalue() and "4/4" in bars.getvalue()
    with pytest.raises(TypeError, match="progress must be"):
        with progress.reporting("yes"):  # type: ignore[arg-type]
            pass


def test_without_tqdm_progress_is_silent(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto fails
    assert progress.tqdm_bars() is None
    with progress.reporting(None) as r:
        assert not r.active


def test_job_eta_counts_from_its_phase(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: now[0])
    sent: list[dict[str, Any]] = []
    job = jobs.Job("tsne", lambda _j: None, lambda _j, s: sent.append(s))
    now[0] = 50.0
    job.checkpoint(0, 100, "computing affinities: 0% (k-NN search)")
    now[0] = 60.0
    job.checkpoint(10, 100, "computing affinities: 10% (k-NN search)")
    # 10 rows in the 10 s since the phase began: 90 rows left take 90 s (not 540 s, as the
    # 50 s spent before the phase would make it)
    assert sent[-1]["eta_s"] == 90.0
    now[0] = 70.0  # a step that is not iterations: counted apart, iterations stay 0
    job.checkpoint(0, 0, "computing affinities: 0% (k-NN search)", phase=(0, 400))
    now[0] = 80.0
    job.checkpoint(0, 0, "computing affinities: 25% (k-NN search)", phase=(100, 400))
    assert (sent[-1]["iteration"], sent[-1]["total"], sent[-1]["eta_s"]) == (0, 0, 30.0)
    assert (job.iteration, job.total) == (0, 0)


# ----------------------------------------------------------------------------- t-SNE
def test_tsne_reports_its_affinities_before_any_iteration():
    pytest.importorskip("openTSNE")
    rec = Recorder()
    frames: list[tuple[int, list[str]]] = []

    def on_frame(iteration: int, _total: int, _layout: np.ndarray) -> bool:
        frames.append((iteration, rec.texts()))
        return False

    x = clustered(1200, 8)  # above openTSNE's exact-neighbour limit: the Annoy index
    layout = tsne_mod.tsne(
        x, {"n_iter": 30, "perplexity": 10, "n_jobs": 2}, on_frame=on_frame, on_progress=rec
    )
    assert layout.shape == (1200, 2) and np.isfinite(layout).all()
    assert rec.phases() == [
        "preparing",
        "initialising layout",
        "computing affinities (k-NN index)",
        "computing affinities (k-NN trees)",
        "computing affinities (k-NN search)",
        "computing affinities (perplexities)",
        "optimising layout",
    ]
    texts = rec.texts()
    search = [u for u in rec.updates if u.detail == "k-NN search"]
    assert search[-1].done == 1200 and search[-1].text().endswith(": 100% (k-NN search)")
    optimising = [u.done for u in rec.updates if u.phase == "optimising layout"]
    assert optimising == sorted(optimising) and optimising[-1] > 0
    # every frame after the first layouts comes once the affinities are computed
    later = [seen for it, seen in frames if it > 0]
    assert later and all(any(t.startswith("computing affinities") for t in s) for s in later)
    assert first_index(texts, "computing affinities") < first_index(texts, "optimising layout")


def test_tsne_counts_every_iteration_it_runs_and_ends_at_its_total(bars):
    pytest.importorskip("openTSNE")
    # 45 main iterations after 15 of early exaggeration: 60 in all, a callback every 10 of a
    # phase (10 | 25, 35, 45, 55), then the last 5 after the last callback.
    rec = Recorder()
    frames: list[tuple[int, int]] = []

    def on_frame(iteration: int, total: int, _layout: np.ndarray) -> bool:
        frames.append((iteration, total))
        return False

    params = {"n_iter": 45, "n_jobs": 1}
    tsne_mod.tsne(clustered(200, 6), params, on_frame=on_frame, on_progress=rec)
    optimising = [u for u in rec.updates if u.phase == "optimising layout"]
    assert {u.total for u in optimising} == {60}
    assert [u.done for u in optimising][-1] == 60
    assert [i for i, _ in frames if i > 0] == [10, 25, 35, 45, 55]
    assert {t for _, t in frames} == {60}
    w = Projector(clustered(200, 6))  # the job and its tqdm bar say the same
    job = w.tsne(n_iter=45, n_jobs=1, wait=True)
    assert repr(job) == "<Job tsne: done 60/60>"
    assert "/60" in bars.getvalue() and "/66" not in bars.getvalue()


def test_tsne_job_phases_reach_the_status_of_a_displayed_view(bars):
    pytest.importorskip("openTSNE")
    w = Projector(clustered(1100, 6))
    send_from_browser(w, {"type": "drawn"})  # a view has drawn the points
    seen = progress_log(w)
    w.tsne(n_iter=20, perplexity=8, n_jobs=1, wait=True)
    messages = [p["message"] for p in seen if p["state"] == "running"]
    assert first_index(messages, "computing affinities") < first_index(
        messages, "optimising layout"
    )
    # the job's iterations are the layout's: the k-NN search counts rows in its text only
    search = [p for p in seen if "(k-NN search)" in p["message"]]
    assert search and all(p["iteration"] == p["total"] == 0 for p in search)
    iterating = [p for p in seen if p["message"].startswith("optimising layout")]
    assert iterating[-1]["total"] == 20 + 6 and iterating[-1]["iteration"] > 0
    # after the first message, a running t-SNE always says what it is doing
    assert all(m for m in messages[1:]), messages
    assert seen[-1]["state"] == "done"
    assert bars.getvalue() == ""  # no bar while a view shows the progress


def test_tsne_job_without_a_view_draws_tqdm_bars(bars):
    pytest.importorskip("openTSNE")
    w = Projector(clustered(300, 6))
    w.tsne(n_iter=20, perplexity=8, wait=True)
    out = bars.getvalue()
    assert "computing affinities" in out and "optimising layout" in out
    assert out.index("computing affinities") < out.index("optimising layout")
    assert w._progress["state"] == "done"  # the widget's state is kept as well


def test_tsne_n_jobs_is_checked_shown_and_passed_to_opentsne(monkeypatch):
    openTSNE = pytest.importorskip("openTSNE")
    assert tsne_mod.check_params({})["n_jobs"] == -1
    for ok in (-1, 1, 3, np.int64(2)):
        assert tsne_mod.check_params({"n_jobs": ok})["n_jobs"] == int(ok)
    for bad in (0, -2, 1.5, 2.0, True, "2", None):
        with pytest.raises(ValueError, match="t-SNE n_jobs must be -1"):
            tsne_mod.check_params({"n_jobs": bad})
    w = Projector(clustered(120, 5))
    spec = {m["name"]: m for m in w._spec["methods"]}
    assert spec["tsne"]["defaults"]["n_jobs"] == -1
    import inspect

    assert inspect.signature(Projector.tsne).parameters["n_jobs"].default == -1
    with pytest.raises(ValueError, match="n_jobs"):
        w.tsne(n_jobs=0)
    seen: list[int] = []

    class Recording(openTSNE.TSNE):  # type: ignore[misc]
        def __init__(self, **kw: Any) -> None:
            seen.append(kw["n_jobs"])
            super().__init__(**kw)

    monkeypatch.setattr(openTSNE, "TSNE", Recording)
    w.tsne(n_iter=10, perplexity=5, n_jobs=2, wait=True)
    assert seen == [2] and w.projection_params["n_jobs"] == 2


def test_tsne_layout_for_a_seed_does_not_depend_on_n_jobs():
    pytest.importorskip("openTSNE")
    x = clustered(1500, 8)  # the Annoy path: its trees are built the same on any machine
    one = tsne_mod.tsne(x, {"n_iter": 30, "n_jobs": 1, "seed": 4})
    two = tsne_mod.tsne(x, {"n_iter": 30, "n_jobs": 2, "seed": 4})
    np.testing.assert_array_equal(one, two)


# ----------------------------------------------------------------------------- UMAP
def test_umap_reports_graph_then_initial_layout_then_epochs():
    pytest.importorskip("umap")
    rec = Recorder()
    layout = umap_mod.umap(clustered(300, 8), {"n_neighbors": 10}, on_progress=rec)
    assert layout.shape == (300, 2)
    assert rec.phases() == [
        "building the neighbour graph",
        "initialising layout",
        "optimising layout",
    ]
    epochs = [u for u in rec.updates if u.phase == "optimising layout"]
    assert epochs[-1].done == epochs[-1].total > 1 and epochs[-1].unit == "epochs"
    assert [u.done for u in epochs] == sorted(u.done for u in epochs)


def test_umap_does_not_import_tensorflow():
    # umap-learn's package imports TensorFlow for ParametricUMAP when it is installed: 5 s and a
    # screen of TensorFlow's log lines in every w.umap(). Ours blocks that module while umap
    # imports; ParametricUMAP is then imported on first use (here it cannot be: the fallback).
    pytest.importorskip("umap")
    code = """
    import numpy as np
    from projector_widget import Projector
    step("a UMAP", 120)
    w = Projector(np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32))
    w.umap(n_neighbors=5, wait=True)
    imported = "tensorflow" in sys.modules
    sys.modules["tensorflow"] = None  # asking for ParametricUMAP now finds umap-learn's fallback
    import umap
    from umap import ParametricUMAP
    result([imported, w.coordinates.shape[0], ParametricUMAP.__module__])
    """
    assert run_child(code, timeout=180) == [False, 40, "umap"]


def test_umap_seed_rule_single_thread_with_a_seed_every_core_without():
    pytest.importorskip("umap")
    seeded = umap_mod.make_model(umap_mod.check_params({"seed": 7}))
    assert seeded.random_state == 7 and seeded.n_jobs == 1
    free = umap_mod.make_model(umap_mod.check_params({"seed": None}))
    assert free.random_state is None and free.n_jobs == umap_mod.n_jobs(None)
    assert free.n_jobs == min(cpu_cores(), __import__("numba").config.NUMBA_NUM_THREADS)
    if cpu_cores() > 1:
        assert free.n_jobs > 1
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="or None to use every core"):
            umap_mod.check_params({"seed": bad})


def test_umap_without_a_seed_runs_and_with_one_gives_no_thread_warning(words_small):
    pytest.importorskip("umap")
    w = Projector(words_small)
    w.umap(random_state=None, n_neighbors=8, wait=True)  # umap-learn's name for the seed
    assert w.projection_params["seed"] is None and np.isfinite(w.coordinates).all()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        umap_mod.umap(words_small, {"seed": 1, "n_neighbors": 8})
    assert not [c for c in caught if "overridden" in str(c.message)]


UMAP_STOPPED_THEN_MORE_WORK = """
import io, threading
import numpy as np
from tqdm import tqdm
from projector_widget import Projector

step("a UMAP job reaches its epochs", 240)  # numba compiles umap-learn's loops first
rng = np.random.default_rng(0)
x = (rng.normal(size=(5, 16)) * 6)[rng.integers(0, 5, 3000)] + rng.normal(size=(3000, 16))
w = Projector(x.astype(np.float32))  # no view is displayed: progress also goes to tqdm bars
epochs = threading.Event()

def watch(change):
    p = change["new"]
    if p["method"] == "umap" and p["state"] == "running" and p["iteration"] > 0:
        epochs.set()

w.observe(watch, "_progress")
job = w.umap(n_neighbors=10)
assert epochs.wait(230), job
step("stop during the epochs", 60)
w.stop()
stopped = [job.state, job.iteration, job.total]
step("a tqdm bar in the user's own code", 30)
for _ in tqdm(range(3), file=io.StringIO()):
    pass
step("clustering with no view displayed", 60)
w.cluster()
step("a t-SNE job", 120)
w.tsne(n_iter=30, wait=True)
step("a t-SNE job stopped in its first phase", 60)
job = w.tsne(n_iter=1000)
w.stop()
result({"umap": stopped, "tsne": job.state})
"""


def test_a_umap_stopped_during_its_epochs_leaves_tqdm_clustering_and_tsne_working():
    pytest.importorskip("umap")
    pytest.importorskip("sklearn")
    done = run_child(UMAP_STOPPED_THEN_MORE_WORK, timeout=600)
    state, iteration, total = done["umap"]
    assert state == "stopped" and 0 < iteration < total  # it stopped between two epochs
    assert done["tsne"] == "stopped"


@pytest.fixture
def words_small() -> np.ndarray:
    return clustered(200, 6, seed=3)


# ----------------------------------------------------------------------------- the index
def test_build_index_reports_training_then_chunks(monkeypatch):
    pytest.importorskip("faiss")
    from projector_widget.compute import ann

    monkeypatch.setattr(ann, "ADD_CHUNK", 1000)
    x = clustered(4500, 8)
    rec = Recorder()
    index = ann.ApproximateIndex(x, np.einsum("ij,ij->i", x, x), "euclidean", progress=rec)
    assert len(index) == 4500
    assert rec.phases()[0].startswith("building index (k-means of")
    chunks = [u for u in rec.updates if u.unit == "chunks"]
    assert chunks[0].done == 0 and chunks[-1].done == chunks[-1].total == 10  # 5 chunks, 2 passes
    assert chunks[-1].text() == "building index 10/10 chunks"


def test_widget_build_index_shows_its_phases_then_the_projection_again(bars):
    pytest.importorskip("faiss")
    w = Projector(clustered(3000, 8))
    send_from_browser(w, {"type": "drawn"})
    before = dict(w._progress)
    seen = progress_log(w)
    w.build_index("euclidean")
    messages = [p["message"] for p in seen]
    assert messages[0].startswith("building index (k-means")
    assert any(m.startswith("building index") and m.endswith("chunks") for m in messages)
    assert all(p["state"] == "idle" and p["method"] == "" for p in seen[:-1])
    assert seen[-1] == before  # the projection's own progress is shown again
    assert bars.getvalue() == ""


def test_widget_build_index_without_a_view_draws_a_bar(bars):
    pytest.importorskip("faiss")
    w = Projector(clustered(3000, 8))
    seen = progress_log(w)
    w.build_index("cosine")
    assert "building index" in bars.getvalue()
    assert seen == []  # the widget's status is left alone


# ----------------------------------------------------------------------------- files
def test_tensor_tsv_read_reports_bytes_and_reads_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(tsv, "READ_CHUNK", 4096)  # many blocks
    x = clustered(2000, 16)
    path = tmp_path / "tensors.tsv"
    tsv.write_tensor_tsv(path, x, progress=False)
    rec = Recorder()
    got = tsv.read_tensor_tsv(path, progress=rec)
    np.testing.assert_array_equal(got, tsv.read_tensor_tsv(path, progress=False))
    size = path.stat().st_size
    assert {u.phase for u in rec.updates} == {"reading tensors.tsv"}
    done = [u.done for u in rec.updates]
    assert done[0] == 0 and done[-1] == size and done == sorted(done)
    assert rec.updates[-1].unit == "B" and rec.updates[-1].total == size


def test_tensor_tsv_read_with_progress_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("1\t2\n3\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2 is not tab-separated numbers"):
        tsv.read_tensor_tsv(path, progress=Recorder())
    ragged = tmp_path / "ragged.tsv"  # rows of another width in a later block
    ragged.write_bytes(b"1\t2\n" * 5000 + b"3\t4\t5\n")
    with pytest.raises(ValueError, match="line 5001 has 3 values but the first row has 2"):
        tsv.read_tensor_tsv(ragged, progress=Recorder())
    lone_cr = tmp_path / "cr.tsv"  # a lone \r ends a line, as NumPy reads a path
    lone_cr.write_bytes(b"1\t2\r3\t4\n")
    np.testing.assert_array_equal(
        tsv.read_tensor_tsv(lone_cr, progress=Recorder()),
        tsv.read_tensor_tsv(lone_cr, progress=False),
    )


def test_metadata_read_reports_reading_parsing_typing(tmp_path):
    path = tmp_path / "metadata.tsv"
    path.write_text("word\tcount\n" + "".join(f"w{i}\t{i}\n" for i in range(500)), "utf-8")
    rec = Recorder()
    meta = tsv.read_metadata(path, progress=rec)
    assert meta["count"][:3] == [0, 1, 2]
    assert rec.phases() == ["reading metadata.tsv", "parsing metadata.tsv", "typing metadata.tsv"]
    assert rec.updates[-1].text() == "typing metadata.tsv 2/2 columns"


def test_read_tsv_pair_reports_both_files_to_one_place(tmp_path):
    x = clustered(50, 4)
    tsv.write_tensor_tsv(tmp_path / "t.tsv", x, progress=False)
    (tmp_path / "m.tsv").write_text("".join(f"p{i}\n" for i in range(50)), "utf-8")
    rec = Recorder()
    tsv.read_tsv_pair(tmp_path / "t.tsv", tmp_path / "m.tsv", progress=rec)
    assert rec.phases()[0] == "reading t.tsv" and "reading m.tsv" in rec.phases()


def test_to_tensorboard_reports_tensors_metadata_sprite_in_order(tmp_path):
    pytest.importorskip("tensorboard")
    x = clustered(40, 4)
    w = Projector(x, {"a": [f"r{i}" for i in range(40)], "b": list(range(40))})
    rec = Recorder()
    tb.write(
        tmp_path / "log",
        w.embeddings,
        w._parts.metadata.columns,
        np.zeros((40, 4, 4, 4), np.uint8),
        tensor_format="tsv",
        progress=rec,
    )
    assert rec.phases() == [
        "writing tensors.tsv",
        "writing metadata.tsv",
        "writing the sprite sheet",
    ]
    assert "writing tensors.tsv 40/40 rows" in rec.texts()
    loaded = tb.read(tmp_path / "log", progress=False)
    np.testing.assert_array_equal(loaded.values, x)


def test_widget_to_tensorboard_shows_what_it_writes(tmp_path, bars):
    pytest.importorskip("tensorboard")
    w = Projector(clustered(40, 4), {"a": [f"r{i}" for i in range(40)]})
    send_from_browser(w, {"type": "drawn"})
    seen = progress_log(w)
    w.to_tensorboard(tmp_path / "log", tensor_format="tsv")
    messages = [p["message"] for p in seen[:-1]]
    assert first_index(messages, "writing tensors.tsv") < first_index(
        messages, "writing metadata.tsv"
    )
    assert seen[-1]["state"] == "done" and seen[-1]["method"] == "pca"
    assert bars.getvalue() == ""


def test_diagnose_reads_through_the_progress_it_is_given(tmp_path):
    pytest.importorskip("tensorboard")
    w = Projector(clustered(30, 4), {"a": [f"r{i}" for i in range(30)]})
    w.to_tensorboard(tmp_path, tensor_format="tsv")
    from projector_widget import diagnose

    rec = Recorder()
    assert diagnose(tmp_path, progress=rec).ok
    assert "reading tensors.tsv" in rec.phases() and "reading metadata.tsv" in rec.phases()


def test_free_functions_default_to_tqdm_bars(tmp_path, bars):
    tsv.write_tensor_tsv(tmp_path / "t.tsv", clustered(30, 4))
    tsv.read_tensor_tsv(tmp_path / "t.tsv")
    out = bars.getvalue()
    assert "writing t.tsv" in out and "reading t.tsv" in out
