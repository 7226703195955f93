"""The code that jobs run, as reproducible archives.

- the source bundle: the model code (model/: featurize.py, train.py, inference.py,
  tracknet/) the way SageMaker's PyTorch training containers take it, sourcedir.tar.gz with
  the entry points at its root;
- the processing bundle: the same plus the app's Qt-free package (tracknet_studio without
  ui/), for processing jobs that run the app's own modules (batch prediction).

Either may carry wheels/ with a requirements.txt that installs only from them (see
cloud/wheels.py), for jobs without network access.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import tarfile
from pathlib import Path

BUNDLE_NAME = "sourcedir.tar.gz"
PROCESSING_BUNDLE_NAME = "processing.tar.gz"
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}
REQUIREMENTS = "requirements.txt"


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


def source_bundle(
    source: Path | None = None, *, requirements: str | None = None, wheels: Path | None = None
) -> bytes:
    """model/ as sourcedir.tar.gz; `requirements` replaces its requirements.txt and the
    wheels in `wheels` go under wheels/ (an offline install, see cloud/wheels.py)."""
    source = source or model_source_dir()
    return _archive(_entries(source, "", requirements, wheels))


def processing_bundle(requirements: str, wheels: Path | None = None) -> bytes:
    """model/ and tracknet_studio/ (without its Qt half) in one archive, with
    `requirements` as its requirements.txt."""
    model = model_source_dir()
    app = Path(__file__).resolve().parents[1]
    entries = _entries(model, "", requirements, wheels)
    entries += [(f"{app.name}/{name}", path) for name, path in _entries(app, "", None, None)
                if not name.startswith("ui/")]  # fmt: skip
    return _archive(entries)


def _entries(
    source: Path, prefix: str, requirements: str | None, wheels: Path | None
) -> list[tuple[str, Path | bytes]]:
    entries: list[tuple[str, Path | bytes]] = [
        (prefix + path.relative_to(source).as_posix(), path) for path in bundle_files(source)
    ]
    if requirements is not None:
        entries = [e for e in entries if e[0] != prefix + REQUIREMENTS]
        entries.append((prefix + REQUIREMENTS, requirements.encode()))
    if wheels is not None:
        entries += [(f"{prefix}wheels/{p.name}", p) for p in sorted(wheels.glob("*.whl"))]
    return entries


def _archive(entries: list[tuple[str, Path | bytes]]) -> bytes:
    """A reproducible tar.gz: same files, same bytes (mtimes and owners zeroed), so its
    hash names it in S3 and an unchanged bundle is never uploaded twice."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(entries, key=lambda e: e[0]):
            data = content if isinstance(content, bytes) else content.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def bundle_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
