"""S3 transfers: upload a folder (resumable, encrypted), download a prefix, read one URI.

Uploads go through boto3's transfer manager (multipart above a threshold, parallel parts,
progress callbacks). Every object gets a `sha256` metadata entry. An upload first lists
what is already under the prefix and skips each file that is there already: same size and
the ETag the file would get (S3 makes it the MD5 of the content, or for a multipart upload
the MD5 of the parts' MD5s, with SSE-S3), so a second upload costs one listing and an
interrupted one sends only what is missing. Objects whose ETag says nothing of the
content (SSE-KMS, other part sizes) are checked by their sha256, one request each.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig, create_transfer_manager
from s3transfer.subscribers import BaseSubscriber

from . import session as aws
from .settings import CloudSettings

Progress = Callable[[int, int], None]
SHA256_KEY = "sha256"  # user metadata: x-amz-meta-sha256
MB = 1024 * 1024
DEFAULT_TRANSFER = TransferConfig(multipart_threshold=64 * MB, multipart_chunksize=16 * MB)


@dataclass
class UploadResult:
    """What an upload did: files sent, files already there, bytes sent, the S3 prefix."""

    s3_uri: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes_uploaded: int = 0
    bytes_total: int = 0


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key)."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def encryption_args(settings: CloudSettings) -> dict[str, str]:
    """Server-side encryption for every object we write: KMS when a key is set, else SSE-S3."""
    if settings.kms_key_id:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.kms_key_id}
    return {"ServerSideEncryption": "AES256"}


def file_sha256(path: Path) -> str:
    return file_digests(path, DEFAULT_TRANSFER)[0]


def file_digests(path: Path, config: TransferConfig) -> tuple[str, str]:
    """(sha256, the ETag S3 gives the file when `config` uploads it with SSE-S3), in one
    read: the MD5 of the content, or above the multipart threshold the MD5 of the parts'
    MD5s followed by "-<parts>"."""
    sha = hashlib.sha256()
    size = path.stat().st_size
    part_size = config.multipart_chunksize if size >= config.multipart_threshold else 0
    parts: list[bytes] = []
    whole = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(part_size or MB), b""):
            sha.update(chunk)
            if part_size:
                parts.append(hashlib.md5(chunk, usedforsecurity=False).digest())
            else:
                whole.update(chunk)
    if not part_size:
        return sha.hexdigest(), f'"{whole.hexdigest()}"'
    etag = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
    return sha.hexdigest(), f'"{etag}-{len(parts)}"'


def upload_folder(
    settings: CloudSettings,
    local_dir: str | Path,
    s3_prefix: str,
    progress: Progress | None = None,
    *,
    transfer_config: TransferConfig = DEFAULT_TRANSFER,
    s3: Any = None,
) -> UploadResult:
    """Upload every file under `local_dir` to `s3_prefix` (an s3:// URI), keeping relative
    paths; files already there with the same size and sha256 are skipped.

    Files go up concurrently through one transfer manager (a folder of frames is thousands
    of small objects). When one fails the others are cancelled and the error is raised;
    what had arrived is kept, so calling again sends only the rest. `progress(done_bytes,
    total_bytes)` counts skipped files as done; it is called from the transfer threads.
    """
    root = Path(local_dir)
    bucket, prefix = split_s3_uri(s3_prefix.rstrip("/") + "/")
    s3 = s3 or aws.client(settings, "s3")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    result = UploadResult(s3_uri=f"s3://{bucket}/{prefix}", bytes_total=total)
    existing = _listing(s3, bucket, prefix)
    counter = _ProgressCounter(total, progress)

    def plan(path: Path) -> tuple[Path, str, int, str, bool]:
        key = prefix + path.relative_to(root).as_posix()
        size = path.stat().st_size
        digest, etag = file_digests(path, transfer_config)
        stored = existing.get(key)
        if stored is None or stored.size != size:
            return path, key, size, digest, False
        there = stored.etag == etag or _stored_sha256(s3, bucket, key) == digest
        return path, key, size, digest, there

    with ThreadPoolExecutor(max_workers=transfer_config.max_request_concurrency) as pool:
        plans = list(pool.map(plan, files))
    for _, key, size, _, there in plans:
        if there:
            result.skipped.append(key)
            counter(size)
    subscriber = _ProgressSubscriber(counter)
    with create_transfer_manager(s3, transfer_config) as manager:
        pending = []
        for path, key, size, digest, there in plans:
            if there:
                continue
            extra = {**encryption_args(settings), "Metadata": {SHA256_KEY: digest}}
            future = manager.upload(
                str(path), bucket, key, extra_args=extra, subscribers=[subscriber]
            )
            pending.append((key, size, future))
        for key, size, future in pending:
            future.result()
            result.uploaded.append(key)
            result.bytes_uploaded += size
    return result


class _ProgressSubscriber(BaseSubscriber):
    def __init__(self, counter: _ProgressCounter) -> None:
        self.counter = counter

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        self.counter(bytes_transferred)


class _ProgressCounter:
    """Adds up the byte counts the transfer threads report, and forwards the total."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress
        self._lock = threading.Lock()
        if progress is not None:
            progress(0, total)

    def __call__(self, n: int) -> None:
        with self._lock:
            self.done += n
            done = self.done
        if self.progress is not None:
            self.progress(done, self.total)


@dataclass(frozen=True)
class _Stored:
    size: int
    etag: str


def _listing(s3: Any, bucket: str, prefix: str) -> dict[str, _Stored]:
    """Every object under `prefix` with its size and ETag (one request per 1,000 keys)."""
    stored: dict[str, _Stored] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            stored[item["Key"]] = _Stored(item["Size"], item.get("ETag", ""))
    return stored


def _existing_sizes(s3: Any, bucket: str, prefix: str) -> dict[str, int]:
    return {key: item.size for key, item in _listing(s3, bucket, prefix).items()}


def _stored_sha256(s3: Any, bucket: str, key: str) -> str | None:
    return s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(SHA256_KEY)


def upload_bytes(settings: CloudSettings, data: bytes, s3_uri: str, s3: Any = None) -> str:
    """Put one small object (encrypted like every upload); returns its URI."""
    bucket, key = split_s3_uri(s3_uri)
    s3 = s3 or aws.client(settings, "s3")
    s3.put_object(Bucket=bucket, Key=key, Body=data, **encryption_args(settings))
    return s3_uri


def download_prefix(
    settings: CloudSettings,
    s3_prefix: str,
    local_dir: str | Path,
    progress: Progress | None = None,
    s3: Any = None,
) -> list[Path]:
    """Download every object under `s3_prefix` into `local_dir`, keeping relative paths."""
    bucket, prefix = split_s3_uri(s3_prefix)
    s3 = s3 or aws.client(settings, "s3")
    sizes = _existing_sizes(s3, bucket, prefix)
    counter = _ProgressCounter(sum(sizes.values()), progress)
    root = Path(local_dir)
    written: list[Path] = []
    base = prefix if prefix.endswith("/") or not prefix else prefix + "/"
    for key in sorted(sizes):
        relative = key[len(base) :] if key.startswith(base) else Path(key).name
        if not relative or relative.endswith("/"):
            continue
        target = root / relative
        if not target.resolve().is_relative_to(root.resolve()):
            raise ValueError(f"refusing to write {key} outside {root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target), Callback=counter)
        written.append(target)
    return written


def s3_opener(settings: CloudSettings) -> Callable[[str], bytes]:
    """An opener for formats.groundtruth: s3:// URIs read from S3, anything else from disk."""
    s3 = aws.client(settings, "s3")

    def open_uri(uri: str) -> bytes:
        if uri.startswith("s3://"):
            bucket, key = split_s3_uri(uri)
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return Path(os.fspath(uri)).read_bytes()

    return open_uri
