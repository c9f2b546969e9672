"""jobs.OneAtATime: kernel work in a background thread or the caller's, one run at a time,
with its phases reported and its errors handed on."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from projector_widget.util.jobs import Busy, OneAtATime, Work
from projector_widget.util.progress import Reporter, Update

WAIT_S = 60  # a guard against a hung test, never a measured duration


class Recorder:
    """A ``task()`` whose phases and its end are recorded in order, with the errors reported."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.errors: list[BaseException] = []

    @contextlib.contextmanager
    def task(self) -> Iterator[Reporter]:
        def sink(u: Update) -> None:
            self.events.append(u.text())

        try:
            yield Reporter(sink, min_interval=0)
        finally:
            self.events.append("task ended")

    def runner(self) -> OneAtATime:
        return OneAtATime(self.task, self.errors.append)


def held_work(rec: Recorder, gate: threading.Event, result: object = 42) -> Work[object]:
    """Work whose compute reports a phase and waits for ``gate``; land records the result."""

    def compute(progress: Reporter) -> object:
        progress.phase("step", 2, unit="parts")
        progress.update(1)
        assert gate.wait(WAIT_S)
        progress.update(2)
        return result

    return Work(compute, lambda r: rec.events.append(f"landed {r}"))


def test_start_returns_while_the_work_runs_and_the_result_lands_after():
    rec, gate = Recorder(), threading.Event()
    runner = rec.runner()
    thread = runner.start("finding things", lambda: held_work(rec, gate))
    assert thread.is_alive() and runner.running == "finding things"
    assert not any(e.startswith("landed") for e in rec.events)
    gate.set()
    runner.wait(WAIT_S)
    assert runner.running == ""
    # The work's name is the first phase; the result is in place before the task ends (and the
    # status goes back to what it showed).
    assert rec.events == [
        "finding things",
        "step 0/2 parts",
        "step 1/2 parts",
        "step 2/2 parts",
        "landed 42",
        "task ended",
    ]
    assert rec.errors == []


def test_a_second_start_is_refused_while_one_runs_and_nothing_of_it_runs():
    rec, gate = Recorder(), threading.Event()
    runner = rec.runner()
    runner.start("finding clusters", lambda: held_work(rec, gate))
    prepared: list[int] = []

    def prepare() -> Work[object]:
        prepared.append(1)
        return held_work(rec, gate, "second")

    with pytest.raises(Busy, match="finding clusters is still running in the kernel"):
        runner.start("checking the layout", prepare)
    assert prepared == []  # refused before checking or taking anything
    assert runner.running == "finding clusters"  # the refusal did not rename the running work
    gate.set()
    runner.wait(WAIT_S)
    runner.start("checking the layout", prepare)  # free again: this one runs
    runner.wait(WAIT_S)
    assert prepared == [1] and "landed second" in rec.events


def test_an_error_while_preparing_reaches_the_caller_and_frees_the_runner():
    rec = Recorder()
    runner = rec.runner()

    def bad() -> Work[object]:
        raise KeyError("there is no metadata column 'nope'")

    with pytest.raises(KeyError, match="nope"):
        runner.start("finding clusters", bad)
    with pytest.raises(KeyError, match="nope"):
        runner.run("finding clusters", bad)
    assert runner.running == "" and rec.events == [] and rec.errors == []
    gate = threading.Event()
    gate.set()
    assert runner.run("again", lambda: held_work(rec, gate, 7)) == 7


def test_an_error_of_background_work_is_reported_and_raised_by_wait():
    rec = Recorder()
    runner = rec.runner()

    def compute(progress: Reporter) -> object:
        raise ValueError("k must be at least 1")

    runner.start("checking the layout", lambda: Work(compute, rec.events.append))
    with pytest.raises(ValueError, match="k must be at least 1"):
        runner.wait(WAIT_S)
    assert [str(e) for e in rec.errors] == ["k must be at least 1"]
    assert rec.events == ["checking the layout", "task ended"]  # nothing landed
    assert runner.running == ""
    gate = threading.Event()
    gate.set()
    runner.start("again", lambda: held_work(rec, gate))
    runner.wait(WAIT_S)  # the next run succeeds and clears the error
    assert runner.error is None


class ProbedLock:
    """A lock that says when someone starts waiting for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting = threading.Event()

    def acquire(self, blocking: bool = True) -> bool:
        if blocking:
            self.waiting.set()
        return self._lock.acquire(blocking)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_run_in_the_calling_thread_waits_for_the_background_run():
    rec, gate = Recorder(), threading.Event()
    runner = rec.runner()
    probe = ProbedLock()
    runner._lock = probe  # type: ignore[assignment]
    runner.start("background", lambda: held_work(rec, gate, "first"))
    results: list[object] = []
    caller = threading.Thread(
        target=lambda: results.append(runner.run("called", lambda: held_work(rec, gate, "second")))
    )
    caller.start()
    assert probe.waiting.wait(WAIT_S)  # the call is waiting for the runner...
    assert results == [] and "called" not in rec.events  # ...and has not begun its work
    gate.set()
    caller.join(WAIT_S)
    assert results == ["second"]
    landed = [e for e in rec.events if e.startswith("landed")]
    assert landed == ["landed first", "landed second"]
    assert rec.events.index("called") > rec.events.index("landed first")
