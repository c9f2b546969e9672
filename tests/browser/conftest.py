"""Fixtures for the real-browser tests (the harness itself is in harness.py).

Chromium and JupyterLab live for the whole session, but what a test opens does not: the browser
contexts (each a Lab page with a WebGL widget) and the kernels a test started are closed when the
test ends, those a module-scoped fixture opened when its module ends. Left open, every earlier
test's kernel (some holding a million points) and page would run beside every later test and all
be torn down together at the end of the session.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import (  # noqa: E402
    JUPYTER_SERVERS,
    VIEWPORT,
    LabServer,
    NotebookPage,
    kernel_sessions,
    launch_chromium,
    open_notebook_page,
    shut_down_sessions,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)

#: The session's chromium once it has been launched (fixtures started before it see it empty).
_BROWSER: list[object] = []


# tryfirst: pytest-xdist reads the xdist_group marks in its own pytest_collection_modifyitems (it
# appends "@browser" to the test ids it schedules by); the marks must be there before it runs.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # Under pytest-xdist (make test: -n 2 --dist loadgroup) every browser test runs in one
            # worker, so the session's JupyterLab and chromium start once, while the other worker
            # takes the kernel-side tests.
            item.add_marker(pytest.mark.xdist_group("browser"))


class _Opened:
    """What is open now (browser contexts, kernel sessions per server), to close what comes after."""

    def __init__(self) -> None:
        self.contexts = [c for b in _BROWSER for c in b.contexts]  # type: ignore[attr-defined]
        self.sessions = [(s, kernel_sessions(s)) for s in JUPYTER_SERVERS]

    def close_the_rest(self) -> None:
        """Close the contexts opened since, then shut down the kernels started since."""
        for b in _BROWSER:
            for ctx in b.contexts:  # type: ignore[attr-defined]
                if not any(ctx is c for c in self.contexts):
                    ctx.close()
        for server in list(JUPYTER_SERVERS):
            if server.process.poll() is None:
                before = [ids for s, ids in self.sessions if s is server]
                shut_down_sessions(
                    server, kernel_sessions(server) - (before[0] if before else set())
                )


@pytest.fixture(scope="module", autouse=True)
def _close_what_the_module_opened() -> Iterator[None]:
    """Pages and kernels of module-scoped fixtures (one notebook shared by a module's tests)."""
    opened = _Opened()
    yield
    opened.close_the_rest()


@pytest.fixture(autouse=True)
def _close_what_the_test_opened() -> Iterator[None]:
    """Pages and kernels the test opened; module-scoped fixtures are set up before this runs."""
    opened = _Opened()
    yield
    opened.close_the_rest()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder JupyterLab serves."""
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="session")
def lab(lab_root: Path) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1 for the whole session."""
    server = start_jupyter("lab", lab_root, "jupyterlab.log")
    yield server
    stop_jupyter(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        _BROWSER.append(b)
        yield b
        _BROWSER.remove(b)
        b.close()


@pytest.fixture(scope="session")
def open_notebook(lab: LabServer, browser: object) -> object:
    """Factory: write a notebook with the given cells, open it, run it; returns NotebookPage.

    Its page and kernel last as long as the fixture that asked for it (the test, or the module).
    """

    def _open(name: str, cells: list[str], run: bool = True) -> NotebookPage:
        write_notebook(lab.root / name, cells)
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)  # type: ignore[attr-defined]
        nbp = open_notebook_page(ctx, lab, name)
        if run:
            nbp.run_all()
        return nbp

    return _open
