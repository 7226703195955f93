"""Ground Truth: the importer takes real, public video frame tracking outputs as they are.

The SeqLabel.json files under tests/data/groundtruth/ are trimmed copies of real Ground Truth
outputs (origin, licence and trimming in tests/data/groundtruth/README.md). Their sequence
files and output manifests were not published, so each test writes them here, shaped like
the public ones (see the README); only the labels are the real thing. Expected positions are
box centres worked out by hand from the files: x = left + width / 2, y = top + height / 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.core import Source, Visibility
from tracknet_studio.formats.errors import FormatError
from tracknet_studio.formats.groundtruth import (
    OUTPUT_MANIFEST,
    SEQLABEL,
    AmbiguousObjectError,
    FrameMap,
    GtImportOptions,
    list_objects,
    read_groundtruth,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "groundtruth"
PEDESTRIANS = DATA / "sagemaker-examples-2020-pedestrians" / "SeqLabel.json"
VEHICLES = DATA / "sagemaker-examples-2021-vehicles" / "SeqLabel.json"
BOX_KEYS = {
    "height",
    "width",
    "top",
    "left",
    "class-id",
    "label-category-attributes",
    "object-id",
    "object-name",
}
MOT17_SIZE = (1920, 1080)  # MOT17-13, the video both label files were drawn on


def sequence(names: list[str]) -> dict:
    """A sequence file as the AWS notebook that published the labels writes one."""
    return {
        "version": "2020-07-01",
        "seq-no": 417,
        "prefix": "s3://example-bucket/MOT17/train/MOT17-13-SDP/img1/",
        "number-of-frames": len(names),
        "frames": [
            {"frame-no": k + 1, "frame": name, "unix-timestamp": 1616264000}
            for k, name in enumerate(names)
        ],
    }


def job_folder(root: Path, labels: Path, names: list[str], line: dict) -> Path:
    """Ground Truth's S3 layout: the real labels, a sequence file and the manifest `line`."""
    (root / SEQLABEL).parent.mkdir(parents=True)
    shutil.copyfile(labels, root / SEQLABEL)
    (root / "tracking_manifests").mkdir()
    (root / "tracking_manifests" / "MOT17-13-SDP_seq.json").write_text(json.dumps(sequence(names)))
    (root / OUTPUT_MANIFEST).parent.mkdir(parents=True)
    (root / OUTPUT_MANIFEST).write_text(json.dumps(line) + "\n")
    return root


OUTPUT = "s3://example-bucket/gt_job_results/mot17-track/"
SEQ_REF = "s3://example-bucket/tracking_manifests/MOT17-13-SDP_seq.json"


@pytest.fixture
def vehicles(tmp_path: Path) -> Path:
    """The 2021 labels as the output of the notebook's adjustment job: the line keeps the
    input's `Person` labels (no `-ref`) beside the job's own `Person-ref`, and the job's
    creation date has microseconds and no zone, as in real outputs."""
    line = {
        "source-ref": SEQ_REF,
        "Person": "s3://example-bucket/tracking_manifests/SeqLabel.json",
        "Person-metadata": {
            "class-map": {"1": "Vehicle"},
            "human-annotated": "yes",
            "creation-date": "2020-05-25T12:53:54+0000",
            "type": "groundtruth/video-object-tracking",
        },
        "Person-ref": OUTPUT + "annotations/consolidated-annotation/output/0/SeqLabel.json",
        "Person-ref-metadata": {
            "class-map": {"2": "Vehicle"},
            "job-name": "labeling-job/mot17-track",
            "human-annotated": "yes",
            "creation-date": "2021-03-21T16:59:25.570000",
            "type": "groundtruth/video-object-tracking",
        },
    }
    # the notebook put the first 300 images of MOT17-13-SDP in the sequence
    return job_folder(tmp_path, VEHICLES, [f"{k:06d}.jpg" for k in range(1, 301)], line)


@pytest.fixture
def pedestrians(tmp_path: Path) -> Path:
    """The 2020 labels, whose sequence held every other image: 000001.jpg, 000003.jpg, ..."""
    line = {
        "source-ref": SEQ_REF,
        "mot17-13-pedestrians-ref": OUTPUT + "annotations/consolidated-annotation/output/0/"
        "SeqLabel.json",
        "mot17-13-pedestrians-ref-metadata": {
            "class-map": {"1": "Pedestrian"},
            "job-name": "labeling-job/mot17-13-pedestrians",
            "human-annotated": "yes",
            "creation-date": "2020-10-05T18:02:41.105000",
            "type": "groundtruth/video-object-tracking",
        },
    }
    return job_folder(tmp_path, PEDESTRIANS, [f"{k:06d}.jpg" for k in range(1, 32, 2)], line)


def test_the_kept_files_are_the_real_shape() -> None:
    """What makes them worth keeping: `frame-no` as strings counting from 0 (the input's
    count from 1), and boxes with every field of the documented output, nothing more."""
    for path, count in ((VEHICLES, 16), (PEDESTRIANS, 16)):
        entries = json.loads(path.read_text())["tracking-annotations"]
        assert [e["frame-no"] for e in entries] == [str(k) for k in range(count)]
        boxes = [box for entry in entries for box in entry["annotations"]]
        assert all(set(box) == BOX_KEYS for box in boxes)


def test_overlapping_instances_of_one_label_must_be_picked(vehicles: Path) -> None:
    """Vehicle:1..3 are three cars in the same frames, not one car drawn again: the
    importer must not merge them as it merges a restarted ball (`ball:1`, `ball:2`)."""
    with pytest.raises(AmbiguousObjectError) as err:
        read_groundtruth(vehicles)
    counts = [(o.name, o.class_id, o.frames) for o in err.value.objects]
    assert counts == [("Vehicle:1", "2", 16), ("Vehicle:2", "2", 16), ("Vehicle:3", "2", 7)]
    assert [(o.name, o.frames) for o in list_objects(vehicles)] == [
        ("Vehicle:1", 16),
        ("Vehicle:2", 16),
        ("Vehicle:3", 7),
    ]


def test_vehicle_3_enters_at_frame_10(vehicles: Path) -> None:
    options = GtImportOptions(object_name="Vehicle:3", image_size=MOT17_SIZE)
    track, report = read_groundtruth(vehicles, options)
    assert len(track) == 301, "000300.jpg is the sequence's last frame"
    assert track.labeled_frames().tolist() == list(range(1, 17))
    assert (track.visibility[1:10] == Visibility.NO_BALL).all(), "entries without Vehicle:3"
    # the category attribute here is Color, not visibility: a drawn box is a visible object
    assert (track.visibility[10:17] == Visibility.VISIBLE).all()
    assert (
        track.visibility[0] == Visibility.UNLABELED and track.visibility[17] == Visibility.UNLABELED
    )
    assert (track.x[10], track.y[10]) == (1507 + 36 / 2, 558 + 29 / 2) == (1525, 572.5)
    assert (track.x[13], track.y[13]) == (1482 + 75 / 2, 527 + 53 / 2) == (1519.5, 553.5)
    assert (track.x[16], track.y[16]) == (1457 + 107 / 2, 524 + 54 / 2) == (1510.5, 551)
    assert (track.source[1:17] == Source.IMPORTED).all()
    assert report.imported == 16 and report.n_skipped == 0 and report.notes == []


def test_the_job_attribute_is_chosen_over_the_adjusted_input(vehicles: Path) -> None:
    """`Person` holds the labels that went into the job; only `Person-ref` (with its
    `-ref-metadata`) is the job's output, and the only attribute the importer can take."""
    track, _ = read_groundtruth(vehicles, GtImportOptions(object_name="Vehicle:1"))
    assert track.labeled_frames().tolist() == list(range(1, 17))
    assert (track.x[1], track.y[1]) == (952 + 83 / 2, 545 + 66 / 2) == (993.5, 578)
    assert (track.x[6], track.y[6]) == (957 + 86 / 2, 556 + 69 / 2) == (1000, 590.5)
    with pytest.raises(FormatError, match="no label attribute 'Person'; found \\['Person-ref'\\]"):
        read_groundtruth(
            vehicles, GtImportOptions(object_name="Vehicle:1", label_attribute="Person")
        )


def test_vehicle_frames_join_on_the_file_name_not_frame_no(vehicles: Path) -> None:
    """In SeqLabel.json `frame-no` "9" is 000010.jpg, frame-no 10 of the sequence file:
    by position it is the 10th frame (index 9), by name video frame 10."""
    by_position = GtImportOptions(object_name="Vehicle:3", frame_map=FrameMap(by="position"))
    track, _ = read_groundtruth(vehicles, by_position)
    assert len(track) == 300
    assert np.flatnonzero(track.visibility == Visibility.VISIBLE).tolist() == list(range(9, 16))
    assert (track.x[9], track.y[9]) == (1525, 572.5)


def test_pedestrians_every_other_frame(pedestrians: Path) -> None:
    """The 2020 sequence held the odd images only; the names carry the video frames."""
    with pytest.raises(AmbiguousObjectError, match="'Pedestrian:3' \\(3 frames\\)"):
        read_groundtruth(pedestrians)
    options = GtImportOptions(object_name="Pedestrian:1", image_size=MOT17_SIZE)
    track, report = read_groundtruth(pedestrians, options)
    assert len(track) == 32
    assert track.labeled_frames().tolist() == list(range(1, 32, 2))
    assert (track.visibility[0:32:2] == Visibility.UNLABELED).all(), "not in the sequence"
    assert (track.x[1], track.y[1]) == (947 + 79 / 2, 602 + 193 / 2) == (986.5, 698.5)
    assert (track.x[19], track.y[19]) == (987 + 79 / 2, 633 + 198 / 2) == (1026.5, 732)
    assert (track.x[31], track.y[31]) == (1023 + 78 / 2, 658 + 206 / 2) == (1062, 761)
    assert report.imported == 16 and report.n_skipped == 0


def test_pedestrians_zero_based_video_frames(pedestrians: Path) -> None:
    """MOT17's 000001.jpg is video frame 0: `offset=-1` on the names, or `stride=2` on the
    positions, give the same track."""
    frame_maps = (FrameMap(by="name", offset=-1), FrameMap(by="position", stride=2))
    tracks = [
        read_groundtruth(pedestrians, GtImportOptions(object_name="Pedestrian:3", frame_map=m))[0]
        for m in frame_maps
    ]
    for track in tracks:
        assert track.labeled_frames().tolist() == list(range(0, 31, 2))
        visible = np.flatnonzero(track.visibility == Visibility.VISIBLE).tolist()
        assert visible == [26, 28, 30], "Pedestrian:3 enters at 000027.jpg"
        assert (track.x[26], track.y[26]) == (1755 + 49 / 2, 808 + 208 / 2) == (1779.5, 912)
        assert (track.x[30], track.y[30]) == (1717 + 88 / 2, 813 + 208 / 2) == (1761, 917)
    np.testing.assert_array_equal(tracks[0].x, tracks[1].x)
    np.testing.assert_array_equal(tracks[0].visibility, tracks[1].visibility)
