"""Upload a folder of small frame files to a local S3 emulator (moto server):
tracknet_studio.cloud.transfer.upload_folder against the baseline, boto3's transfer manager
sending the same files at the same concurrency with the same encryption and sha256
metadata (so the ratio is what upload_folder's listing and hashing cost); then a second
upload, which must skip everything with one listing (the bench fails otherwise).

    .venv/bin/python bench/bench_cloud_upload.py [--files 400] [--size 30000]

The emulator answers in well under a millisecond, so --latency-ms adds a round trip to
every request (a sleep in botocore's before-send event, both clients alike), as a real
network does; --latency-ms 0 measures the emulator alone, which on a 2-core machine is
bound by the emulator's own CPU.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from boto3.s3.transfer import create_transfer_manager
from moto.server import ThreadedMotoServer

from tracknet_studio.cloud.session import client
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.cloud.transfer import (
    DEFAULT_TRANSFER,
    SHA256_KEY,
    encryption_args,
    file_sha256,
    upload_folder,
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=400)
    p.add_argument("--size", type=int, default=30_000, help="bytes per file (a JPEG frame)")
    p.add_argument("--latency-ms", type=float, default=30.0, help="added per request")
    args = p.parse_args()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
    )  # fmt: skip
    settings = CloudSettings(bucket="bench", prefix="b")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    s3 = client(settings, "s3")
    delay = args.latency_ms / 1000
    s3.meta.events.register("before-send.s3", lambda **_: time.sleep(delay))
    s3.create_bucket(Bucket="bench")
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.files):
            (Path(folder) / f"frame_{i:06d}.jpg").write_bytes(os.urandom(args.size))
        mb = args.files * args.size / 1e6

        started = time.perf_counter()
        baseline_upload(s3, settings, sorted(Path(folder).iterdir()))
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        upload_folder(settings, folder, settings.s3_uri("ours"), s3=s3)
        ours = time.perf_counter() - started

        sent: list[str] = []
        s3.meta.events.register("before-call.s3.*", lambda model, **_: sent.append(model.name))
        started = time.perf_counter()
        again = upload_folder(settings, folder, settings.s3_uri("ours"), s3=s3)
        skip = time.perf_counter() - started
    server.stop()
    print(f"{args.files} files, {mb:.1f} MB, moto on 127.0.0.1 + {args.latency_ms:g} ms/request")
    rate = args.files / baseline
    print(f"baseline, transfer manager, same concurrency, SSE and sha256: {baseline:6.2f} s  "
          f"{rate:7.0f} files/s")  # fmt: skip
    print(
        f"upload_folder (lists, hashes, uploads): {ours:6.2f} s  {args.files / ours:7.0f} files/s"
    )
    print(f"ratio upload_folder / baseline speed: {baseline / ours:.2f}x (goal >= 0.8x)")
    pages = -(-args.files // 1000)
    print(f"second upload_folder (all skipped): {skip:6.2f} s, {len(sent)} requests "
          f"({', '.join(sorted(set(sent)))}); goal: {pages} listing page(s)")  # fmt: skip
    failed = len(again.skipped) != args.files or len(sent) > pages or baseline / ours < 0.8
    if failed:
        print("FAILED: a goal above was not met")
        raise SystemExit(1)


def baseline_upload(s3: Any, settings: CloudSettings, paths: list[Path]) -> None:
    """What any careful uploader does: the same files through one transfer manager at the
    same concurrency, each with the same encryption and its sha256 as metadata."""
    with create_transfer_manager(s3, DEFAULT_TRANSFER) as manager:
        futures = []
        for path in paths:
            extra = {**encryption_args(settings), "Metadata": {SHA256_KEY: file_sha256(path)}}
            futures.append(manager.upload(str(path), "bench", f"baseline/{path.name}",
                                          extra_args=extra))  # fmt: skip
        for future in futures:
            future.result()


if __name__ == "__main__":
    main()
