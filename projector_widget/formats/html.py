"""A standalone HTML page of a projector: one file that opens offline on any static web server.

The page carries the built frontend bundle, its CSS and the widget's state. Binary buffers are
embedded as base64 (``{"$b64": ...}``), never as JSON lists of numbers, and every column's values
are embedded as display strings so that search and tooltips work without a kernel. All embedded
text is escaped so that nothing in a label can end a ``<script>`` element or run as script.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..widget import Projector

_SKIP = re.compile(
    r"^(_model_|_view_|_anywidget|_esm$|_css$|_dom_classes$|layout$|tabbable$|tooltip$)"
)


def _b64(buf: Any) -> dict[str, str]:
    return {"$b64": base64.b64encode(bytes(memoryview(buf))).decode("ascii")}


def _embed(value: Any) -> Any:
    """JSON-ready copy of a state value, with binary buffers as ``{"$b64": ...}``."""
    if isinstance(value, (memoryview, bytes, bytearray)):
        return _b64(value)
    if isinstance(value, dict):
        return {k: _embed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_embed(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _texts(w: Projector) -> dict[str, Any]:
    out = {}
    for col in w._column_list:
        encoded = [col.format(i).encode("utf-8") for i in range(w.n_points)]
        offsets = np.zeros(len(encoded) + 1, dtype="<u4")
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        out[col.name] = {"offsets": _b64(offsets), "text": _b64(b"".join(encoded))}
    return out


def _script_safe_json(data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_safe_js(code: str) -> str:
    """Make bundle text safe inside <script type="text/plain">.

    ``</script`` and ``<!--`` can only occur in the module's strings, regular expressions or
    templates, where the escape ``\\x3C`` means the same "<" in all three.
    """
    code = re.sub(r"</(script)", r"\\x3C/\1", code, flags=re.IGNORECASE)
    return code.replace("<!--", "\\x3C!--")


def payload(w: Projector) -> dict[str, Any]:
    """The data the page embeds: state, the embedded projections per dimensionality, texts."""
    state = {k: _embed(v) for k, v in w.get_state().items() if not _SKIP.match(k)}
    state["_standalone"] = True
    state["_has_encoder"] = False
    dims = [2, 3]
    if w.projection in ("tsne", "umap"):
        dims = [int(w.projection_params.get("dims", w.dimensions))]
    by_dims = {str(d): _embed(w._points_value(d, 0)) for d in dims}
    state["_points"] = (
        by_dims[str(w.dimensions)] if str(w.dimensions) in by_dims else by_dims[str(dims[0])]
    )
    if str(w.dimensions) not in by_dims:
        state["dimensions"] = dims[0]
    return {"version": 1, "state": state, "points_by_dims": by_dims, "texts": _texts(w)}


def page(w: Projector, *, title: str = "projector-widget") -> str:
    """The complete HTML page for ``w``."""
    from ..widget import _CSS, _ESM

    if not _ESM.exists():
        raise RuntimeError(f"the frontend bundle {_ESM} is missing; build it with `npm run build`")
    uid = secrets.token_hex(4)
    bundle = _script_safe_js(_ESM.read_text(encoding="utf-8"))
    css = _CSS.read_text(encoding="utf-8") if _CSS.exists() else ""
    css = css.replace("</", "<\\/")
    data = _script_safe_json(payload(w))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html_lib.escape(title)}</title>
<style>
body {{ margin: 0; padding: 16px; font-family: system-ui, sans-serif; background: #fff; }}
{css}
</style>
</head>
<body>
<div id="pw-root-{uid}"></div>
<script type="application/json" id="pw-data-{uid}">{data}</script>
<script type="text/plain" id="pw-bundle-{uid}">{bundle}</script>
<script type="module">
const src = document.getElementById("pw-bundle-{uid}").textContent;
const mod = await import(URL.createObjectURL(new Blob([src], {{ type: "text/javascript" }})));
const payload = JSON.parse(document.getElementById("pw-data-{uid}").textContent);
mod.standalone(document.getElementById("pw-root-{uid}"), payload);
</script>
</body>
</html>
"""
