"""The model code (model/: featurize.py, train.py, inference.py, tracknet/) as a source
bundle, the way SageMaker's PyTorch containers take it: sourcedir.tar.gz with the entry
points at its root.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import tarfile
from pathlib import Path

BUNDLE_NAME = "sourcedir.tar.gz"
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def model_source_dir() -> Path:
    """The folder holding train.py and featurize.py (the parent of the tracknet package),
    found without importing tracknet (which would import torch)."""
    spec = importlib.util.find_spec("tracknet")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the tracknet package is not installed")
    folder = Path(spec.origin).resolve().parents[1]
    if not (folder / "train.py").is_file():
        raise FileNotFoundError(f"no train.py beside the tracknet package in {folder}")
    return folder


def bundle_files(source: Path) -> list[Path]:
    """The files that go in the bundle, sorted, caches left out."""
    return sorted(
        p
        for p in source.rglob("*")
        if p.is_file()
        and not _SKIP_PARTS.intersection(p.relative_to(source).parts)
        and p.suffix not in (".pyc", ".pyo")
    )


def source_bundle(source: Path | None = None) -> bytes:
    """A reproducible sourcedir.tar.gz: same files, same bytes (mtimes and owners zeroed),
    so its hash names it in S3 and an unchanged bundle is never uploaded twice."""
    source = source or model_source_dir()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in bundle_files(source):
            info = tarfile.TarInfo(path.relative_to(source).as_posix())
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def bundle_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
