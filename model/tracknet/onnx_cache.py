"""The ONNX export of a model file, made once and kept.

Exporting takes about a second of TorchScript tracing that holds Python's GIL throughout:
in a window, a thread doing it freezes the picture. So an application exports in a child
process (`python -m tracknet.onnx_cache WEIGHTS OUT`) into a cache keyed by the weights
file and the torch version, and every later run loads the kept file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def cache_key(weights: Path) -> str:
    """Changes when the weights file (or any file of a model folder) or torch changes."""
    weights = weights.resolve()
    files = sorted(weights.rglob("*")) if weights.is_dir() else [weights]
    parts = [str(weights), metadata.version("torch")]
    for path in files:
        if path.is_file():
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def cached_path(weights: Path, folder: Path) -> Path:
    return folder / f"{Path(weights).stem}-{cache_key(Path(weights))}.onnx"


def export_in_child(weights: Path, folder: Path, timeout: float = 600) -> Path | None:
    """The kept export of `weights`, made in a child process when missing; None when the
    child failed (the caller exports in-process then)."""
    target = cached_path(weights, folder)
    if target.is_file():
        return target
    if getattr(sys, "frozen", False):
        return None  # a bundled app's executable is the app itself, not a Python
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "tracknet.onnx_cache", str(weights), str(target)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return target if done.returncode == 0 and target.is_file() else None


def export_file(weights: Path, target: Path) -> None:
    """Export `weights` to `target` atomically (a reader never sees half a file)."""
    from tracknet.modelfile import load_model
    from tracknet.predict import export_onnx

    model, config = load_model(weights, "cpu")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        export_onnx(model, config, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    export_file(args.weights, args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
