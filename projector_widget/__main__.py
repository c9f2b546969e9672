"""Command line: ``projector-widget diagnose LOGDIR`` (or ``python -m projector_widget ...``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="projector-widget")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("diagnose", help="check a TensorBoard projector log directory")
    d.add_argument("logdir")
    args = parser.parse_args(argv)
    if args.command == "diagnose":
        from projector_widget.formats.diagnose import diagnose

        report = diagnose(args.logdir)
        print(report)
        return 0 if report.ok else 1
    return 2  # pragma: no cover - argparse rejects unknown commands


def main_exit() -> None:
    """Entry point of the ``projector-widget`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    main_exit()
