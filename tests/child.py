"""A test's script run in a child process, so that a hang or a crash fails the test instead of
hanging or killing pytest.

The script calls ``step(name, limit_s)`` before each thing it checks: the step is printed, and
when it runs past its limit ``faulthandler`` prints every thread's stack and ends the child, so
the failure names the step and shows where each thread waited.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

PRELUDE = textwrap.dedent(
    """
    import faulthandler, json, sys

    def step(name, limit_s):
        faulthandler.dump_traceback_later(limit_s, exit=True)
        print("STEP", name, flush=True)

    def result(value):
        faulthandler.cancel_dump_traceback_later()
        print("RESULT", json.dumps(value), flush=True)
    """
)


def run_child(code: str, *, timeout: float) -> Any:
    """Run ``code`` (after :data:`PRELUDE`) in a child Python; returns what it passed to
    ``result()``. Fails the test, naming the step, when the child dies, hangs or raises."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out, err, code_ = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        code_ = None
    lines = out.splitlines()
    steps = [line[5:] for line in lines if line.startswith("STEP ")]
    results = [line[7:] for line in lines if line.startswith("RESULT ")]
    if code_ != 0 or not results:
        where = steps[-1] if steps else "(before the first step)"
        how = f"ran past {timeout} s" if code_ is None else f"exited with {code_}"
        pytest.fail(f"the child {how} in step {where!r}:\n{err[-6000:]}", pytrace=False)
    return json.loads(results[-1])
