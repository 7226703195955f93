"""The code that jobs run, as reproducible archives.

- the source bundle: the job scripts (tracknet/entrypoints: featurize.py, train.py,
  inference.py, requirements.txt) and the `tracknet` package, the way SageMaker's PyTorch
  training containers take it: sourcedir.tar.gz with the scripts at its root;
- the processing bundle: the same plus the app's Qt-free package (tracknet_studio without
  ui/), for processing jobs that run the app's own modules (batch prediction).

Either may carry wheels/ with a requirements.txt that installs only from them (see
cloud/wheels.py), for jobs without network access.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

BUNDLE_NAME = "sourcedir.tar.gz"
PROCESSING_BUNDLE_NAME = "processing.tar.gz"
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}
REQUIREMENTS = "requirements.txt"


def entrypoints_dir() -> Path:
    """The job scripts and their requirements.txt (package data of tracknet.entrypoints),
    found without importing tracknet's modules (which would import torch)."""
    from tracknet.entrypoints import folder

    return folder()


def tracknet_dir() -> Path:
    """The `tracknet` package's folder."""
    return entrypoints_dir().parent


def bundle_files(source: Path) -> list[Path]:
    """The files that go in the bundle, sorted, caches left out."""
    return sorted(
        p
        for p in source.rglob("*")
        if p.is_file()
        and not _SKIP_PARTS.intersection(p.relative_to(source).parts)
        and p.suffix not in (".pyc", ".pyo")
    )


def source_bundle(*, requirements: str | None = None, wheels: Path | None = None) -> bytes:
    """The job scripts at the root and the `tracknet` package beside them, as
    sourcedir.tar.gz; `requirements` replaces their requirements.txt and the wheels in
    `wheels` go under wheels/ (an offline install, see cloud/wheels.py)."""
    return _archive(_model_entries(requirements, wheels))


def processing_bundle(requirements: str, wheels: Path | None = None) -> bytes:
    """The source bundle and tracknet_studio/ (without its Qt half) in one archive, with
    `requirements` as its requirements.txt."""
    app = Path(__file__).resolve().parents[1]
    entries = _model_entries(requirements, wheels)
    entries += [(f"{app.name}/{name}", path) for name, path in _files_of(app)
                if not name.startswith(("ui/", "resources/"))]  # fmt: skip
    return _archive(entries)


def _model_entries(requirements: str | None, wheels: Path | None) -> list[tuple[str, Path | bytes]]:
    scripts, package = entrypoints_dir(), tracknet_dir()
    entries: list[tuple[str, Path | bytes]] = [
        (name, path) for name, path in _files_of(scripts) if name != "__init__.py"
    ]
    entries += [(f"tracknet/{name}", path) for name, path in _files_of(package)
                if not name.startswith("entrypoints/")]  # fmt: skip
    if requirements is not None:
        entries = [e for e in entries if e[0] != REQUIREMENTS]
        entries.append((REQUIREMENTS, requirements.encode()))
    if wheels is not None:
        entries += [(f"wheels/{p.name}", p) for p in sorted(wheels.glob("*.whl"))]
    return entries


def _files_of(folder: Path) -> list[tuple[str, Path]]:
    return [(path.relative_to(folder).as_posix(), path) for path in bundle_files(folder)]


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
