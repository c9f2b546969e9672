"""The README's examples run as tests (Sybil), so what it shows is what the code does.

Every ```python block of README.md runs, in order, in one namespace (a later block uses the
Quickstart's ``w`` and ``digits``), in a fresh temporary folder (the files an example writes land
there). A block written as ``>>>`` lines is a doctest: the output it shows is checked. A
```console block runs its ``$ projector-widget ...`` commands in the same folder and checks the
lines printed under them. A block that cannot run here is skipped only by a visible
``<!-- skip: next "why" -->`` comment above it.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.evaluators.doctest import NUMBER
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

README = "README.md"


def _console(example: Example) -> str | None:
    """Run each ``$ projector-widget ...`` line of a console block; compare what it prints."""
    from projector_widget.__main__ import main

    commands: list[tuple[str, list[str]]] = []
    for line in str(example.parsed).splitlines():
        if line.startswith("$ "):
            commands.append((line[2:].split("#", 1)[0].strip(), []))
        elif commands:
            commands[-1][1].append(line.rstrip())
    failures = []
    for command, expected in commands:
        words = shlex.split(command)
        if words[0] != "projector-widget":
            return f"a console example runs only `projector-widget ...` commands, not {command!r}"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(words[1:])
        got = [ln.rstrip() for ln in out.getvalue().rstrip("\n").splitlines()]
        if got != expected:
            failures.append(
                f"$ {command}\nREADME shows:\n"
                + "\n".join(expected)
                + "\nthe command printed:\n"
                + "\n".join(got)
            )
    return "\n\n".join(failures) or None


def _setup(namespace: dict[str, Any]) -> None:
    namespace["__readme_cwd__"] = os.getcwd()
    namespace["__readme_dir__"] = folder = tempfile.mkdtemp(prefix="readme-")
    os.chdir(folder)


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__readme_cwd__"])
    # The widgets the examples left, and the Dask example's client.
    for value in list(namespace.values()):
        if type(value).__name__ in ("Projector", "Client"):
            value.close()
    shutil.rmtree(namespace["__readme_dir__"], ignore_errors=True)


pytest_collect_file = Sybil(
    parsers=[
        SkipParser(),
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | NUMBER),
        CodeBlockParser(language="console", evaluator=_console),
    ],
    patterns=[README],
    setup=_setup,
    teardown=_teardown,
).pytest()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks (tests/browser/conftest.py)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The README's examples share one namespace: one xdist worker runs them all, in order."""
    for item in items:
        if Path(str(item.path)).name == README:
            item.add_marker(pytest.mark.xdist_group("readme"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under ``--dist loadgroup`` (make test) a test marked ``xdist_group`` fails at once when
    pytest-xdist did not group it: the browser tests would spread over both workers, each starting
    its own JupyterLab, chromium and copy of every module's notebook, and a README example would
    run apart from the blocks it continues."""
    if getattr(item.config.option, "loadgroup", False) and any(item.iter_markers("xdist_group")):
        if "@" not in item.nodeid:  # pytest-xdist appends "@group" to the ids it groups by
            pytest.fail(
                "pytest-xdist did not group this test with the others of its xdist_group: with "
                "pytest 9.2 its --dist loadgroup no longer renames the tests it groups "
                "(pytest-dev/pytest-xdist#1386); install the pytest that pyproject.toml names",
                pytrace=False,
            )
