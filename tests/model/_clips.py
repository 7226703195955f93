"""Small synthetic clips with canonical label CSVs, for the model tests."""

from __future__ import annotations

from pathlib import Path

from tracknet_studio.synthetic import ClipSpec, generate_clip


def make_clips(
    folder: Path, count: int, frames: int = 12, size=(320, 180), seed: int = 0, **spec_options
):
    """`count` clips `clipN.mp4` + `clipN.csv` in `folder`; returns their tracks."""
    folder.mkdir(parents=True, exist_ok=True)
    tracks = []
    for i in range(count):
        options = {"players": 0, **spec_options}
        spec = ClipSpec(width=size[0], height=size[1], frames=frames, seed=seed + i, **options)
        track = generate_clip(spec, folder / f"clip{i}.mp4")
        track.write_label_table(folder / f"clip{i}.csv")
        tracks.append(track)
    return tracks


def load_script(name: str):
    """A job script of tracknet/entrypoints (featurize, train) as a module."""
    import importlib.util
    import sys

    from tracknet.entrypoints import folder

    path = folder() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tracknet_script_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_dataset(
    folder: Path, count: int, frames: int = 12, val_fraction: float = 0.34, **clip_options
) -> Path:
    """Clips featurized by featurize.py (tracknet/entrypoints) into folder/data; returns it."""
    make_clips(folder / "clips", count, frames, **clip_options)
    load_script("featurize").main(
        [
            "--input",
            str(folder / "clips"),
            "--output",
            str(folder / "data"),
            "--val-fraction",
            str(val_fraction),
        ]
    )
    return folder / "data"
