"""`make lab` starts JupyterLab without a traceback or an error a newcomer would read as a failure.

The server runs from this Python environment with the Makefile's arguments, headless, on a free
port; the test reads its log until it serves, stops it, and reads the whole log.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab")

ROOT = Path(__file__).resolve().parent.parent
SERVING = "is running at:"
# A Python traceback, a Node error ("Error: Dynamic require of ..."), an error-level log line, or a
# warning printed by a library (notebook_shim's ServerApp.token DeprecationWarning).
FAILURE = re.compile(r"Traceback \(most recent call last\)|\bError:|^\[E |Warning: ", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_lab_arguments() -> list[str]:
    """The arguments `make lab` passes to `jupyter lab` (read from `make -n lab`, so they agree)."""
    out = subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = [ln for ln in out.splitlines() if "jupyter lab" in ln][-1]
    words = shlex.split(line)
    return [w for w in words[words.index("lab") + 1 :] if w != "--allow-root"]


def _lab_log(tmp_path: Path, timeout: float = 120.0) -> str:
    """Start JupyterLab as `make lab` does, wait until it serves, stop it and return its log."""
    env = dict(os.environ)
    # The user's own Jupyter config and runtime files stay out of it; the environment's stay in.
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        PYTHONUNBUFFERED="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        *_make_lab_arguments(),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={_free_port()}",
        "--ServerApp.port_retries=0",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout
        while SERVING not in log.read_text(errors="replace"):
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not serve in {timeout:.0f} s:\n{log.read_text()}")
            time.sleep(0.1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return log.read_text(errors="replace")


def test_lab_starts_without_errors(tmp_path: Path) -> None:
    text = _lab_log(tmp_path)
    failures = [line for line in text.splitlines() if FAILURE.search(line)]
    assert not failures, "jupyter lab printed errors at start:\n" + text[-6000:]
