"""The import arrows of design.md, checked two ways: the static contracts and at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_headless_packages_never_load_qt() -> None:
    # Importing everything outside ui (including the CLI's headless commands) must not pull
    # in Qt, so the CLI and the SageMaker containers run on machines without a display.
    code = (
        "import importlib, pkgutil, sys, tracknet_studio, tracknet\n"
        "for pkg in (tracknet_studio, tracknet):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.ui' in m.name or m.name.endswith(('.gui', '__main__')):\n"
        "            continue\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
