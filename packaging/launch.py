"""The desktop bundle's entry point: the `tracknet-studio` command, and the interpreter that
the app's own jobs need.

A frozen app has no Python to start subprocesses with: the local backend runs its jobs as
`sys.executable -m MODULE ...` and `sys.executable SCRIPT.py ...` (featurize.py, train.py,
the batch prediction module). Here the bundle's executable answers those two forms itself,
from the modules and scripts frozen into it; everything else is the usual command line.
"""

import multiprocessing
import runpy
import sys


def main() -> int:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-m":
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    if args and args[0].endswith(".py"):
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")
        return 0
    from tracknet_studio.cli import main as cli

    return cli(args)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # data loaders may start worker processes
    sys.exit(main())
