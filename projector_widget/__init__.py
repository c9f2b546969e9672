"""projector-widget: the embedding projector in a notebook cell, with two-way selection."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from projector_widget.compute.overview.index import LazySelection
from projector_widget.formats.diagnose import Report, diagnose
from projector_widget.links import SelectionLink, link_selection
from projector_widget.widget import Projector

try:
    __version__ = version("projector-widget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "LazySelection",
    "Projector",
    "Report",
    "SelectionLink",
    "__version__",
    "diagnose",
    "link_selection",
]
