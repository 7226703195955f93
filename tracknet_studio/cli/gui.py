"""`tracknet-studio [FILE] [--demo]`: open the window (the only command that loads Qt)."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracknet-studio",
        description=(
            "Open TrackNet Studio on FILE (a video or a .tnproj project), "
            "or on the built-in demo clip."
        ),
    )
    parser.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="video or project to open"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo clip (generated into the user data folder on first use)",
    )
    parser.add_argument(
        "--quit-after-first-frame",
        action="store_true",
        help="quit once the first frame is on screen, printing how long the start took and "
        "which heavy modules were loaded (start-up measurements, smoke tests of a bundle)",
    )
    return parser


def main(args: list[str]) -> int:
    parsed = build_parser().parse_args(args)
    # Imported here so headless subcommands never load Qt.
    from tracknet_studio.ui import app

    return app.main(file=parsed.file, demo=parsed.demo and parsed.file is None,
                    quit_after_first_frame=parsed.quit_after_first_frame)  # fmt: skip
