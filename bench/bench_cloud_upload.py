"""Upload a folder of small frame files to a local S3 emulator (moto server): the concurrent
transfer-manager upload of tracknet_studio.cloud.transfer against one upload_file per file
(the baseline), then a second upload that skips everything.

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

from moto.server import ThreadedMotoServer

from tracknet_studio.cloud.session import client
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.cloud.transfer import upload_folder


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
        for path in sorted(Path(folder).iterdir()):
            s3.upload_file(str(path), "bench", f"baseline/{path.name}")
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        upload_folder(settings, folder, settings.s3_uri("ours"), s3=s3)
        ours = time.perf_counter() - started

        started = time.perf_counter()
        again = upload_folder(settings, folder, settings.s3_uri("ours"), s3=s3)
        skip = time.perf_counter() - started
    server.stop()
    print(f"{args.files} files, {mb:.1f} MB, moto on 127.0.0.1 + {args.latency_ms:g} ms/request")
    rate = args.files / baseline
    print(f"baseline, one upload_file per file: {baseline:6.2f} s  {rate:7.0f} files/s")
    print(f"upload_folder (concurrent, sha256): {ours:6.2f} s  {args.files / ours:7.0f} files/s")
    print(f"second upload_folder (all skipped): {skip:6.2f} s  ({len(again.skipped)} skipped)")
    print(f"ratio baseline / upload_folder: {baseline / ours:.2f}x")


if __name__ == "__main__":
    main()
