"""Progress of long work, in phases: to the widget's status when a view of it is displayed,
else to a ``tqdm.auto`` bar (when tqdm is installed), else nowhere.

Long operations (t-SNE and UMAP, building an approximate index, reading and writing TSV files
and log directories) report through a :class:`Reporter`: :meth:`Reporter.phase` when a step
begins ("computing affinities", "reading metadata.tsv"), :meth:`Reporter.update` as it advances.
The reporter throttles updates (one every ``MIN_INTERVAL_S`` at most), so a loop may report
every chunk at no measurable cost, and hands :class:`Update` values to a *sink*: any callable.
The widget's sink sets its status; :class:`TqdmBars` draws one bar per phase; tests record.

Functions that run without a widget take ``progress``: None or True (bars, when tqdm is
installed; a bar appears only once a phase has lasted ``TQDM_DELAY_S``), False (silent), a sink,
or a :class:`Reporter` (a caller's, so nested steps report to the same place).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: The least time between two updates sent to a sink (phases are always sent).
MIN_INTERVAL_S = 0.2
#: How long a phase runs before its tqdm bar appears (quick work prints nothing).
TQDM_DELAY_S = 0.5
#: The phase of a layout whose counts are its iterations (t-SNE) or epochs (UMAP): a job's
#: ``iteration`` and ``total`` follow it; other phases are counted in their message.
OPTIMISING = "optimising layout"


class Stopped(Exception):
    """Raised where long work reports its progress when it was asked to stop (a job the user
    stopped, the work of a closed widget): the work ends there, keeping nothing half done.

    It is raised from the work's own code (a reporter's phase or update, a job's progress), never
    from inside a third-party library's callback that may hold a lock.
    """


@dataclass(frozen=True)
class Update:
    """Where a long operation is.

    Attributes
    ----------
    phase:
        What it does now: "computing affinities", "reading metadata.tsv".
    done, total:
        How far the phase is, in ``unit``; ``total`` None when it cannot be counted.
    unit:
        "B" (bytes), "%" (counted, shown as a percentage), or what is counted ("chunks",
        "epochs", "rows"; "" for plain counts).
    detail:
        The sub-step, shown in parentheses: "k-NN search".
    step:
        The phase's number in its operation (0, 1, ...): a new number is a new phase.
    """

    phase: str
    done: float = 0
    total: float | None = None
    unit: str = ""
    detail: str = ""
    step: int = 0

    def text(self) -> str:
        """One line: "optimising layout 120/500", "reading metadata.tsv 120 MB/400 MB",
        "computing affinities: 40% (k-NN search)", "writing tensors"."""
        s = self.phase
        total = self.total
        if total is not None and total > 0:
            if self.unit == "%":
                s += f": {math.floor(100 * min(self.done, total) / total)}%"
            elif self.unit == "B":
                s += f" {_size(self.done, total)}/{_size(total, total)}"
            else:
                s += f" {int(self.done):,}/{int(total):,}" + (f" {self.unit}" if self.unit else "")
        if self.detail:
            s += f" ({self.detail})"
        return s


_SIZES = (("GB", 1e9), ("MB", 1e6), ("KB", 1e3))


def _size(n: float, total: float) -> str:
    """``n`` bytes in the unit that suits ``total``: "120 MB", "3.5 GB", "512 B"."""
    for name, scale in _SIZES:
        if total >= scale:
            v = n / scale
            return f"{v:.1f} {name}" if total < 10 * scale else f"{v:.0f} {name}"
    return f"{int(n)} B"


#: Receives updates (a phase's first one has a new ``step``).
Sink = Callable[[Update], None]


class Reporter:
    """Throttled progress of one operation, in phases, passed to ``sink`` (None: nowhere).

    ``phase`` is always sent; ``update`` at most once every ``min_interval`` seconds, and when
    the phase completes. With no sink every call returns at once. :attr:`stop_when`, when set,
    is asked at every phase and update: True raises :class:`Stopped` there (before the sink).
    """

    def __init__(
        self,
        sink: Sink | None = None,
        *,
        min_interval: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self._interval = min_interval
        self._clock = clock
        self._step = -1
        self._phase = ""
        self._total: float | None = None
        self._unit = ""
        self._detail = ""
        self._done: float = 0
        self._last = -math.inf
        self._pending = False
        #: Asked at every phase and update; True stops the work there (:class:`Stopped`).
        self.stop_when: Callable[[], bool] | None = None

    def _check(self) -> None:
        if self.stop_when is not None and self.stop_when():
            raise Stopped

    @property
    def active(self) -> bool:
        """Whether updates go anywhere (callers may skip work that only feeds them)."""
        return self.sink is not None

    @property
    def current(self) -> str:
        """The name of the phase reported last ("" before the first)."""
        return self._phase

    def phase(
        self, name: str, total: float | None = None, *, unit: str = "", detail: str = ""
    ) -> None:
        """Begin the phase ``name`` (``total`` in ``unit``, or None when it cannot be counted)."""
        self._check()
        if self.sink is None:
            return
        self._step += 1
        self._phase, self._total, self._unit, self._detail = name, total, unit, detail
        self._done = 0
        self._send()

    def update(self, done: float, total: float | None = None) -> None:
        """The current phase has done ``done`` (of ``total`` when it changed)."""
        self._check()
        if self.sink is None:
            return
        self._done = done
        if total is not None:
            self._total = total
        finished = self._total is not None and done >= self._total
        if finished or self._clock() - self._last >= self._interval:
            self._send()
        else:
            self._pending = True

    def advance(self, n: float = 1) -> None:
        """The current phase has done ``n`` more."""
        self.update(self._done + n)

    def flush(self) -> None:
        """Send the last update if throttling held it back."""
        if self._pending:
            self._send()

    def _send(self) -> None:
        self._pending = False
        self._last = self._clock()
        assert self.sink is not None
        self.sink(
            Update(self._phase, self._done, self._total, self._unit, self._detail, self._step)
        )


class TqdmBars:
    """A sink drawing each phase as a ``tqdm`` bar (the class given: ``tqdm.auto.tqdm``).

    A bar shows once its phase has lasted ``delay`` seconds and is removed when the next phase
    begins or :meth:`close` is called.
    """

    def __init__(self, tqdm: Any, *, delay: float | None = None, **options: Any) -> None:
        self._tqdm = tqdm
        self._delay = TQDM_DELAY_S if delay is None else delay
        self._options = options
        self._bar: Any = None
        self._step = -1

    def __call__(self, u: Update) -> None:
        if self._bar is None or u.step != self._step:
            self.close()
            self._step = u.step
            self._bar = self._open(u)
        bar = self._bar
        if u.total is not None and bar.total != u.total:
            bar.total = u.total
        if u.total is not None:
            bar.update(u.done - bar.n)

    def _open(self, u: Update) -> Any:
        options: dict[str, Any] = {"desc": u.phase, "leave": False, "delay": self._delay}
        if u.total is None:
            options["bar_format"] = "{desc} [{elapsed}]"
        elif u.unit == "B":
            options.update(unit="B", unit_scale=True)
        elif u.unit and u.unit != "%":
            options["unit"] = f" {u.unit}"
        if u.detail:
            options["postfix"] = u.detail
        options.update(self._options)
        return self._tqdm(total=u.total, **options)

    def close(self) -> None:
        """Close the open bar, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def tqdm_bars(**options: Any) -> TqdmBars | None:
    """Bars on ``tqdm.auto`` (a notebook widget in Jupyter, text elsewhere), or None when tqdm
    is not installed (progress is then silent)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return TqdmBars(tqdm, **options)


#: What a ``progress`` parameter takes (see the module docstring).
ProgressArg = Reporter | Sink | bool | None


@contextlib.contextmanager
def reporting(progress: ProgressArg = None) -> Iterator[Reporter]:
    """A :class:`Reporter` for a ``progress`` argument; bars it opened are closed at the end.

    A Reporter passes through unchanged (its owner flushes and closes it).
    """
    if isinstance(progress, Reporter):
        yield progress
        return
    bars: TqdmBars | None = None
    sink: Sink | None
    if progress is None or progress is True:
        sink = bars = tqdm_bars()
    elif progress is False:
        sink = None
    elif callable(progress):
        sink = progress
    else:
        raise TypeError(
            "progress must be None or True (tqdm bars), False (silent), a function receiving "
            f"progress.Update values, or a progress.Reporter; got {progress!r}"
        )
    reporter = Reporter(sink)
    try:
        yield reporter
    finally:
        reporter.flush()
        if bars is not None:
            bars.close()


class ViewOrBars:
    """A sink for work a widget runs: to ``to_view`` while ``displayed()``, else to tqdm bars
    (opened on first use; nothing when tqdm is not installed)."""

    def __init__(self, displayed: Callable[[], bool], to_view: Sink | None = None) -> None:
        self._displayed = displayed
        self._to_view = to_view
        self._bars: TqdmBars | None = None
        self._tried = False

    def __call__(self, u: Update) -> None:
        if self._displayed():
            if self._bars is not None:  # a view appeared: the bar gives way to it
                self._bars.close()
            if self._to_view is not None:
                self._to_view(u)
            return
        if not self._tried:
            self._tried = True
            self._bars = tqdm_bars()
        if self._bars is not None:
            self._bars(u)

    def close(self) -> None:
        """Close the bar, if one is open."""
        if self._bars is not None:
            self._bars.close()
