"""TrackNet Studio: track a small, fast ball in broadcast sports video.

Packages, and the one-way arrows between them (checked by import-linter, see pyproject.toml):

    cli -> ui -> inference -> cloud -> video | formats -> core

`core` is the ball track and what is computed from it; it imports nothing else of the
project. Only `ui` imports Qt. The network, training and metrics code lives in the separate
top-level package `tracknet` (folder model/tracknet), which the SageMaker containers use too.
"""

import time

__version__ = "0.1.0"
STARTED = time.monotonic()  # imported first by every entry point: start-up counts from here
