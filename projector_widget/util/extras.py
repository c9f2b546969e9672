"""Optional dependencies (the package's extras): a missing one is a :class:`MissingExtra` that
says what needs it and the line that installs it.

:func:`require` checks that a module is installed without importing it (a heavy library's
import, seconds for umap-learn, stays where the work runs): calls that start background work
check first, so a missing extra raises at the call and changes nothing, instead of failing in
the job. :func:`imported` imports it where the work runs.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def install_line(extras: str) -> str:
    """The command that installs the extras ``extras`` ("tsne", "dask,ann")."""
    return f'pip install "projector-widget[{extras}]"'


class MissingExtra(ImportError):
    """An optional dependency is not installed.

    The message says what needs it, then the line that installs it (:attr:`install`), then
    ``note`` when given.
    """

    def __init__(self, need: str, extras: str, *, note: str = "", module: str | None = None):
        #: The command that installs what is missing: ``pip install "projector-widget[tsne]"``.
        self.install = install_line(extras)
        super().__init__(f"{need}: {self.install}{note}", name=module)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (found on the path), without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that is missing, or blocked in sys.modules
        return False


def require(module: str, need: str, extras: str, *, note: str = "") -> None:
    """Raise :class:`MissingExtra` (``need``, the install line of ``extras``) when ``module``
    is not installed; imports nothing."""
    if not installed(module):
        raise MissingExtra(need, extras, note=note, module=module)


def imported(module: str, need: str, extras: str, *, note: str = "") -> ModuleType:
    """Module ``module``, or :class:`MissingExtra` when it (or what it needs) does not import.

    Its packages are imported first, outermost first, as ``from PIL import Image`` does: a
    package that cannot be imported is missing even when a module of it already is.
    """
    try:
        parts = module.split(".")
        for depth in range(1, len(parts)):
            importlib.import_module(".".join(parts[:depth]))
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(need, extras, note=note, module=module) from None
