"""Fixtures for the real-browser tests (the harness itself is in harness.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import (  # noqa: E402
    VIEWPORT,
    LabServer,
    NotebookPage,
    launch_chromium,
    open_notebook_page,
    start_jupyter,
    stop_jupyter,
    write_notebook,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


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
        yield b
        b.close()


@pytest.fixture(scope="session")
def open_notebook(lab: LabServer, browser: object) -> Iterator[object]:
    """Factory: write a notebook with the given cells, open it, run it; returns NotebookPage."""
    contexts: list[object] = []

    def _open(name: str, cells: list[str], run: bool = True) -> NotebookPage:
        write_notebook(lab.root / name, cells)
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)  # type: ignore[attr-defined]
        contexts.append(ctx)
        nbp = open_notebook_page(ctx, lab, name)
        if run:
            nbp.run_all()
        return nbp

    yield _open
    for ctx in contexts:
        ctx.close()  # type: ignore[attr-defined]
