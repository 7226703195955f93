"""The job scripts, as SageMaker's containers run them: featurize.py (the processing job),
train.py (the training job) and inference.py (the endpoint's handler), with the
requirements.txt those containers install on top of the PyTorch image.

In a container they sit at the root of the source bundle, beside the `tracknet` package
(tracknet_studio.cloud.bundle lays them out so); in an installed app they are package data
here, found through importlib.resources, and the local backend runs them as scripts.
"""

from importlib.resources import files
from pathlib import Path


def folder() -> Path:
    """This folder on disk (the scripts are run by path)."""
    return Path(str(files(__name__)))
