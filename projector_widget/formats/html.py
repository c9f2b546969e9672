"""A standalone HTML page of a projector: one file that opens offline on any static web server.

The page carries the built frontend bundle, its CSS and the widget's state. Binary buffers are
embedded as base64 (``{"$b64": ...}``), never as JSON lists of numbers, and every column's values
are embedded as display strings so that search and tooltips work without a kernel (a categorical
column's once per category, with a code per row). All embedded text is escaped so that nothing
in a label can end a ``<script>`` element or run as script.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import math
import re
import secrets
from typing import Any

import numpy as np

from projector_widget.data.columns import Column
from projector_widget.sync import bundle

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


def _texts(columns: list[Column], n: int) -> dict[str, Any]:
    """Each column's display strings as UTF-8 with offsets, and which rows are missing (one
    uint8 per row, only when some are: a missing value is not an empty string).

    A categorical column's texts are its categories, each once, with a uint16 code per row
    (``codes``): a long value on many rows is stored once, not once per row.
    """
    out: dict[str, Any] = {}
    for col in columns:
        if col.kind == "category":
            assert col.codes is not None
            strings = list(col.categories)
            missing = np.zeros(n, bool)
            if col.missing_code is not None:
                missing = col.codes[:n] == col.missing_code
        else:
            texts = [col.text(i) for i in range(n)]
            strings = [t or "" for t in texts]
            missing = np.fromiter((t is None for t in texts), dtype=bool, count=n)
        encoded = [t.encode("utf-8") for t in strings]
        offsets = np.zeros(len(encoded) + 1, dtype="<u4")
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        entry = {"offsets": _b64(offsets), "text": _b64(b"".join(encoded))}
        if col.kind == "category":
            assert col.codes is not None
            entry["codes"] = _b64(col.codes[:n].astype("<u2"))
        if missing.any():
            entry["missing"] = _b64(missing.astype(np.uint8))
        out[col.name] = entry
    return out


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """The first path in ``value`` holding NaN or an infinity, with that number."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _non_finite(item, f"{path}[{key!r}]" if path else str(key))
        if found:
            return found
    return None


def _script_safe_json(data: Any) -> str:
    try:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except ValueError:
        found = _non_finite(data.get("state", data) if isinstance(data, dict) else data, "")
        where, number = found if found else ("a value", math.nan)
        raise ValueError(
            f"cannot save the page: {where} holds {number} (a saved page stores JSON, which has "
            "no NaN or infinity); set it to a finite value first"
        ) from None
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_safe_js(code: str) -> str:
    """Make bundle text safe inside <script type="text/plain">.

    ``</script`` and ``<!--`` can only occur in the module's strings, regular expressions or
    templates, where the escape ``\\x3C`` means the same "<" in all three.
    """
    code = re.sub(r"</(script)", r"\\x3C/\1", code, flags=re.IGNORECASE)
    return code.replace("<!--", "\\x3C!--")


def payload(
    state: dict[str, Any],
    points_by_dims: dict[int, dict[str, Any]],
    columns: list[Column],
    dimensions: int,
) -> dict[str, Any]:
    """The data a page embeds.

    ``state`` is the widget's synced state, ``points_by_dims`` its whole ``_points`` value in
    each dimensionality the page can show, ``columns`` the metadata (embedded as display
    strings) and ``dimensions`` the view shown first (when it was saved).
    """
    state = {k: _embed(v) for k, v in state.items() if not _SKIP.match(k)}
    state["_standalone"] = True
    state["_has_encoder"] = False
    by_dims = {str(d): _embed(v) for d, v in points_by_dims.items()}
    shown = str(dimensions) if str(dimensions) in by_dims else next(iter(by_dims))
    state["_points"] = by_dims[shown]
    state["dimensions"] = int(shown)
    n = int(state["_points"]["n"])
    return {"version": 1, "state": state, "points_by_dims": by_dims, "texts": _texts(columns, n)}


def page(data: dict[str, Any], *, title: str = "projector-widget") -> str:
    """The complete HTML page for a :func:`payload`."""
    bundle.require_bundle()
    uid = secrets.token_hex(4)
    code = _script_safe_js(bundle.ESM.read_text(encoding="utf-8"))
    css = bundle.CSS.read_text(encoding="utf-8") if bundle.CSS.exists() else ""
    css = css.replace("</", "<\\/")
    text = _script_safe_json(data)
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
<script type="application/json" id="pw-data-{uid}">{text}</script>
<script type="text/plain" id="pw-bundle-{uid}">{code}</script>
<script type="module">
const src = document.getElementById("pw-bundle-{uid}").textContent;
const mod = await import(URL.createObjectURL(new Blob([src], {{ type: "text/javascript" }})));
const payload = JSON.parse(document.getElementById("pw-data-{uid}").textContent);
mod.standalone(document.getElementById("pw-root-{uid}"), payload);
</script>
</body>
</html>
"""
