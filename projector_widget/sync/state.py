"""What the kernel keeps on the page: the bundle and the synced state its parts maintain.

:class:`PageState` is the base of :class:`~projector_widget.Projector`: it declares the private
synced traits that carry what the page draws (points, columns, labels, neighbours, the overview,
...), each set by one part (:mod:`projector_widget.parts`) and encoded by
:mod:`projector_widget.sync.wire` where it is binary. The public traits, the ones a user sets,
are declared on the widget itself.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from projector_widget.sync import bundle


class PageState(anywidget.AnyWidget):
    """The anywidget bundle and the synced state the page draws from."""

    _esm = bundle.asset(bundle.ESM, "export default {};")
    _css = bundle.asset(bundle.CSS, "")

    _spec = traitlets.Dict().tag(sync=True)
    _points = traitlets.Dict().tag(sync=True)
    #: The rows a ``_points`` sent in parts does not carry, once the browser asked.
    _points_rest = traitlets.Dict().tag(sync=True)
    _columns: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    _pca_variance: traitlets.List[float] = traitlets.List().tag(sync=True)
    _progress = traitlets.Dict().tag(sync=True)
    _labels = traitlets.Dict().tag(sync=True)
    _neighbors = traitlets.Dict().tag(sync=True)
    _query_point = traitlets.Dict().tag(sync=True)
    _has_encoder = traitlets.Bool(False).tag(sync=True)
    _isolated = traitlets.Bool(False).tag(sync=True)
    _sprites = traitlets.Dict().tag(sync=True)
    #: A sequence's aligned layouts ({} otherwise) and whether the page may step through them.
    _timeline = traitlets.Dict().tag(sync=True)
    _timeline_active = traitlets.Bool(False).tag(sync=True)
    #: Cluster levels for the labels, the last layout quality, the density overview ({}: none).
    _clusters = traitlets.Dict().tag(sync=True)
    _quality = traitlets.Dict().tag(sync=True)
    _overview = traitlets.Dict().tag(sync=True)
