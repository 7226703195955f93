"""Run a command and write its exit status to a file: `python -m tracknet_studio.cloud._runner
STATUS_FILE -- COMMAND...`. The local backend starts every job under it, so how a job ended
is known even to an app started after the job (which is not its parent and cannot wait).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: _runner STATUS_FILE -- COMMAND...", file=sys.stderr)
        return 2
    status_file = Path(argv[0])
    child = subprocess.Popen(argv[2:])

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = child.wait()
    tmp = status_file.with_suffix(".tmp")
    tmp.write_text(f"{code}\n")
    tmp.replace(status_file)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
