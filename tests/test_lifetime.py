"""A widget's lifetime: ``close()`` stops its background work (a t-SNE job, the PCA refinement,
the panel's clustering), any later use says the widget was closed, and a closed widget is
garbage-collected with everything it held."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest
from child import run_child
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.compute.explain import named
from projector_widget.compute.projections import pca as pca_mod
from projector_widget.parts import session as session_mod

WAIT_S = 120  # a guard against a hung test, never a measured duration


def clustered(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, d)) * 6
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, d))).astype(np.float32)


def own_threads() -> list[str]:
    """The names of the package's background threads still running."""
    return [t.name for t in threading.enumerate() if t.name.startswith("projector-")]


# ----------------------------------------------------------------------------- memory
CLOSE_TEN = """
import gc, os, weakref
import numpy as np
from projector_widget import Projector

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def use_and_close(seed):
    x = np.random.default_rng(seed).standard_normal((200_000, 64), dtype=np.float32)
    w = Projector(x, {"group": [str(i % 7) for i in range(200_000)]})
    w.pca(components=[1, 2, 0])
    w.nearest(0, 5)
    w.selected = [1, 2, 3]
    w.close()
    return weakref.ref(w)

step("the first widget (imports, caches)", 120)
use_and_close(0)
gc.collect()
start = rss_mb()
refs = []
for seed in range(1, 11):
    step(f"widget {seed}", 120)
    refs.append(use_and_close(seed))
    gc.collect()
result({"start": start, "end": rss_mb(), "alive": sum(r() is not None for r in refs)})
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the RSS from /proc")
def test_closed_widgets_are_collected_and_give_their_memory_back():
    done = run_child(CLOSE_TEN, timeout=600)
    assert done["alive"] == 0, f"{done['alive']} of 10 closed widgets are still alive"
    assert done["end"] <= 1.1 * done["start"], done  # each one held 50 MB of rows and more


# ----------------------------------------------------------------------------- after close
def test_a_closed_widget_says_so_when_used_and_closes_again_quietly():
    from projector_widget.parts.compose import ClosedError

    w = Projector(clustered(200, 5), {"group": [str(i % 3) for i in range(200)]})
    parts = weakref.ref(w._parts)
    w.close()
    w.close()  # twice is fine
    gc.collect()
    assert parts() is None  # what it held is freed, even while the widget itself is kept
    assert "closed" in repr(w)
    uses = {
        "project": lambda: w.project("pca"),
        "tsne": lambda: w.tsne(n_iter=20),
        "cluster": w.cluster,
        "nearest": lambda: w.nearest(0),
        "coordinates": lambda: w.coordinates,
        "metadata": lambda: w.metadata,
        "n_points": lambda: w.n_points,
        "stop": w.stop,
        "save_bookmark": lambda: w.save_bookmark("a"),
        "set color_by": lambda: setattr(w, "color_by", "group"),
        "set dimensions": lambda: setattr(w, "dimensions", 2),
    }
    for name, use in uses.items():
        with pytest.raises(ClosedError, match=r"this Projector was closed; make a new one"):
            use()
        assert name  # the use that did not raise is named by pytest's report


# ----------------------------------------------------------------------------- jobs
def test_close_stops_a_running_tsne_job():
    pytest.importorskip("openTSNE")
    w = Projector(clustered(1500, 8))
    iterating = threading.Event()
    w.observe(lambda c: c["new"]["iteration"] > 0 and iterating.set(), "_progress")
    job = w.tsne(n_iter=100_000)
    assert iterating.wait(WAIT_S)
    closed = w._parts.session.closed
    redrawn: list[bool] = []  # for each new layout sent: whether close() had begun
    w.observe(lambda _c: redrawn.append(closed.is_set()), "_points")
    w.close()
    assert not job.running and job.state == "stopped"
    assert own_threads() == []
    assert True not in redrawn  # no layout is sent to a page that is going away


def test_a_widget_closed_by_an_observer_of_its_job_closes():
    pytest.importorskip("openTSNE")
    w = Projector(clustered(300, 5))
    failures: list[BaseException] = []
    closed = threading.Event()

    def close_when_done(change: dict) -> None:
        if change["new"]["state"] == "done":
            try:
                w.close()  # from the job's own thread
            except BaseException as exc:
                failures.append(exc)
            closed.set()

    w.observe(close_when_done, "_progress")
    job = w.tsne(n_iter=20)
    assert closed.wait(WAIT_S)
    job.join(WAIT_S)
    assert failures == [] and "closed" in repr(w)


def test_close_during_the_tsne_neighbour_search_stops_within_a_few_hundred_rows(monkeypatch):
    pytest.importorskip("openTSNE")
    from openTSNE.dependencies import annoy

    searched = {"rows": 0, "at close": -1}
    started = threading.Event()
    closing = threading.Event()

    class Counting(annoy.AnnoyIndex):  # type: ignore[misc]
        def get_nns_by_item(self, *args, **kwargs):
            searched["rows"] += 1
            if searched["rows"] == 100:
                started.set()
            if closing.is_set() and searched["at close"] < 0:
                searched["at close"] = searched["rows"]
            return super().get_nns_by_item(*args, **kwargs)

    monkeypatch.setattr(annoy, "AnnoyIndex", Counting)
    n = 20_000
    w = Projector(clustered(n, 8))
    job = w.tsne(n_iter=100, n_jobs=2)
    assert started.wait(WAIT_S)
    closing.set()
    w.close()
    assert not job.running and job.state == "stopped"
    after = searched["rows"] - searched["at close"]
    assert after < 0.1 * n, f"{after:,} of {n:,} rows were searched after close()"


def test_close_stops_the_pca_refinement_between_passes(monkeypatch):
    # The refinement starts without waiting for a first frame, and its first pass over the rows
    # waits until close() lets a waiting refinement go (it sets ``drawn``).
    monkeypatch.setattr(session_mod, "REFINE_WAIT_S", 0.0)
    passes: list[bool] = []  # for each pass over the rows: whether close() had begun
    made, computing = threading.Event(), threading.Event()
    made_widgets: list[Projector] = []
    drawn: list[threading.Event] = []
    real = pca_mod._centred_product

    def counted(x, basis):
        if not drawn:
            assert made.wait(WAIT_S)
            drawn.append(made_widgets[0]._parts.session.drawn)
        passes.append(drawn[0].is_set())
        computing.set()
        assert drawn[0].wait(WAIT_S)  # close() has begun: it lets a waiting refinement go
        return real(x, basis)

    monkeypatch.setattr(pca_mod, "_centred_product", counted)
    w = Projector(clustered(70_000, 8))  # above EXACT_MAX_ROWS: refined in the background
    made_widgets.append(w)
    made.set()
    variance = list(w._pca_variance)
    assert computing.wait(WAIT_S)
    w.close()
    assert w.pca_refined.wait(WAIT_S)
    assert passes == [False], "passes over the rows began after close()"
    assert w._pca_variance == variance  # nothing was published
    assert own_threads() == []


def test_close_ends_the_panels_clustering_without_publishing_it(monkeypatch):
    pytest.importorskip("sklearn")
    started = threading.Event()
    real = named.find_named_clusters
    w = Projector(clustered(2000, 8), {"group": [str(i % 4) for i in range(2000)]})
    session, runner = w._parts.session, w._parts.explain.running

    def held(*args, **kwargs):
        started.set()
        assert session.drawn.wait(WAIT_S)  # close() has begun (it lets waiting work go)
        return real(*args, **kwargs)

    monkeypatch.setattr(named, "find_named_clusters", held)
    sent: list[dict] = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "clusters", "column": ""})  # the panel's Find clusters
    assert started.wait(WAIT_S)
    w.close()
    runner.wait(WAIT_S)  # ended (a run of a closed widget is no error)
    assert w._clusters == {} and not w.show_clusters  # nothing landed after close()
    assert sent == []  # no error either
    assert own_threads() == []


def test_a_closed_widget_leaves_its_selection_links_and_is_freed():
    from projector_widget import link_selection

    x = clustered(300, 5)
    a, b, c = Projector(x), Projector(x), Projector(x)
    link = link_selection(a, b, c)
    b.close()
    a.selected = [1, 2]  # the closed widget is left out; the others still follow
    assert c.selected.tolist() == [1, 2]
    assert link.widgets == (a, c)
    freed = weakref.ref(b)
    del b
    gc.collect()
    assert freed() is None, "the link keeps a closed widget alive"
    link.unlink()
    a.selected = [3]
    assert c.selected.tolist() == [1, 2]
