"""Background work of every kind started, stopped, closed and restarted in a random (seeded)
order, on two widgets at once: nothing hangs or crashes, no thread outlives its widget, and the
state stays consistent (a widget's job is the last one started; a stop leaves a finite layout).

The sequence runs in a child process, each step with a time limit (a hang fails the test and
prints where every thread waited)."""

from __future__ import annotations

import pytest
from child import run_child

RANDOM_WORK = """
import random, threading, time
import numpy as np
from projector_widget import Projector
from projector_widget.compute import backend as backend_mod

backend_mod.EXACT_MAX_ROWS = 500  # the first PCA is refined in the background on small inputs
rng = np.random.default_rng(0)
N = 1200
X = ((rng.normal(size=(6, 8)) * 6)[rng.integers(0, 6, N)] + rng.normal(size=(N, 8)))
X = X.astype(np.float32)
META = {"group": [f"g{i % 6}" for i in range(N)]}
BUSY = "is still running in the kernel"  # the panel's work refused while other work runs


def own_threads():
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("projector-"))


class Slot:
    def __init__(self):
        self.w = None
        self.job = None
        self.jobs = []
        self.errors = []

    def open(self):
        self.w = Projector(X, META)
        self.job, self.jobs = None, []
        self.w.send = lambda content, buffers=None: self.errors.append(content)
        self.w.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"type": "drawn"}}}, "buffers": []})

    def message(self, content):
        self.w.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})

    def started(self, job):
        self.job = job
        self.jobs.append(job)

    def check(self):
        w = self.w
        assert w.job is self.job, (w.job, self.job)  # the last job started
        for job in self.jobs:
            assert job.error is None, job
        for m in self.errors:
            assert m.get("type") != "error" or BUSY in m.get("message", ""), m

    def check_stopped(self):
        assert self.job is None or not self.job.running, self.job
        coords = self.w.coordinates
        assert coords.shape == (N, self.w.dimensions) and np.isfinite(coords).all()

    def close(self):
        self.w.close()
        assert not any(job.running for job in self.jobs), self.jobs
        self.w = None


def play(seed, steps):
    rnd = random.Random(seed)
    slots = [Slot(), Slot()]
    for s in slots:
        s.open()
    for i in range(steps):
        s = rnd.choice(slots)
        other = slots[1] if s is slots[0] else slots[0]
        if s.w is None:
            step(f"{seed}/{i} open", 60)
            s.open()
            continue
        op = rnd.choice(["tsne", "tsne", "umap", "pca", "clusters", "quality", "index", "stop",
                         "stop", "pause", "close", "close", "restart", "run", "run"])
        step(f"{seed}/{i} {op}", 90)
        if op == "tsne":
            s.started(s.w.tsne(n_iter=rnd.choice([30, 100_000]), perplexity=20, n_jobs=2))
        elif op == "umap":
            s.started(s.w.umap(n_neighbors=rnd.choice([8, 15])))
        elif op == "pca":
            s.w.pca(components=rnd.sample(range(5), 3))
            s.check_stopped()
        elif op == "clusters":
            s.message({"type": "clusters", "column": ""})
        elif op == "quality":
            s.message({"type": "quality", "k": 10})
        elif op == "index":
            s.w.build_index("euclidean")
        elif op == "stop":
            s.w.stop()
            s.check_stopped()
        elif op == "pause":
            s.w.pause()
        elif op == "run":  # the work gets a random way further before the next step
            time.sleep(rnd.choice([0.05, 0.2, 0.5]))
        elif op in ("close", "restart"):
            s.close()
            if other.w is None:
                assert own_threads() == [], own_threads()
            if op == "restart":
                s.open()
        if s.w is not None:
            s.check()
    step(f"{seed} close both", 90)
    for s in slots:
        if s.w is not None:
            s.check()
            s.close()
    assert own_threads() == [], own_threads()


step("UMAP compiled (once per process)", 240)
warm = Projector(X[:300])
warm.umap(n_neighbors=8, wait=True)
warm.close()
for seed in range(3):
    play(seed, 30)
result("ok")
"""


def test_random_starts_stops_closes_and_restarts_of_every_kind_of_work():
    for module in ("openTSNE", "umap", "sklearn", "faiss"):
        pytest.importorskip(module)
    assert run_child(RANDOM_WORK, timeout=600) == "ok"
