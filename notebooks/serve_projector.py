"""Serve a saved projector page with Flask, the way people host the TF projector today.

    python notebooks/serve_projector.py projector.html --port 8050

Any static web server works as well (the page is one self-contained file); Flask is shown
because it is what many teams already run next to their models. Flask comes with the `serve`
extra (``pip install "projector-widget[serve]"``; ``make lab`` installs it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flask import Flask, Response


def make_app(page: Path) -> Flask:
    """A Flask app answering ``/`` with the saved projector page."""
    app = Flask(__name__)
    html = page.read_text(encoding="utf-8")

    @app.get("/")
    def index() -> Response:
        return Response(html, mimetype="text/html")

    return app


def main() -> None:
    """Serve PAGE on 127.0.0.1:PORT until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", type=Path)
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    make_app(args.page).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
