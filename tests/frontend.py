"""The browser's end of a widget's comm, for kernel-side tests of the protocol.

``send_from_browser`` delivers a custom message the way ipywidgets does when the browser sends
one (the comm's ``handle_msg``), so tests go through the widget's public entry, not a private
method.
"""

from __future__ import annotations

from typing import Any


def send_from_browser(widget: Any, content: Any, buffers: list[bytes] | None = None) -> None:
    """Deliver ``content`` to ``widget`` as a custom message from its browser view."""
    widget.comm.handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
    )
