"""The command line: `tracknet-studio [FILE]` opens the window; subcommands work headless.

Each subcommand lives in its own module of this package and exposes `register(subparsers)`,
which adds its parser and sets `run=` to a function taking the parsed arguments and returning
an exit status. Headless commands never import Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand name -> module (relative to this package) that registers it.
COMMANDS: dict[str, str] = {
    "demo": ".demo",
    "interpolate": ".interpolate",
    "convert": ".convert",
    "train": ".train",
    "finetune": ".finetune",
    "predict": ".predict",
    "evaluate": ".evaluate",
    "cloud": ".cloud",
    "export": ".export",
    "sheet": ".sheet",
}


def _build_parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracknet-studio")
    subparsers = parser.add_subparsers(dest="command", required=True)
    importlib.import_module(COMMANDS[command], __name__).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        parsed = _build_parser(args[0]).parse_args(args)
        return int(parsed.run(parsed) or 0)
    if args and args[0] in ("-h", "--help"):
        _print_help()
        return 0
    if args and args[0] in ("-V", "--version"):
        from tracknet_studio import __version__

        print(f"tracknet-studio {__version__}")
        return 0
    from . import gui

    return gui.main(args)


def _print_help() -> None:
    print("usage: tracknet-studio [FILE] [--demo]\n       tracknet-studio COMMAND [options]\n"
          "       tracknet-studio --version\n")  # fmt: skip
    print("Opens the window on FILE (a video or a project), or on the built-in demo clip.\n")
    print("commands:")
    for name in COMMANDS:
        parser = _build_parser(name)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        help_text = sub._choices_actions[0].help if sub._choices_actions else ""
        print(f"  {name:<12} {help_text or ''}")
    print("\nRun `tracknet-studio COMMAND --help` for a command's options.")


if __name__ == "__main__":
    sys.exit(main())
