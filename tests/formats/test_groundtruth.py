"""Ground Truth: import output manifests, export labels that import back, export jobs."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracknet_studio.core import Event, Source, Track, Visibility
from tracknet_studio.formats.errors import FormatError
from tracknet_studio.formats.groundtruth import (
    OUTPUT_MANIFEST,
    SEQLABEL,
    AmbiguousObjectError,
    FolderOpener,
    FrameMap,
    GtImportOptions,
    list_objects,
    output_manifest_path,
    read_groundtruth,
)
from tracknet_studio.formats.groundtruth_export import (
    frame_name,
    label_category_config,
    seqlabel,
    seqlabel_json,
    split_sequences,
    write_groundtruth,
    write_labeling_job,
)

SAME_COLUMNS = ("x", "y", "visibility", "event")


def assert_same_labels(back: Track, track: Track) -> None:
    assert len(back) == len(track)
    for name in SAME_COLUMNS:
        np.testing.assert_array_equal(back.column(name), track.column(name), err_msg=name)
    assert (back.source[back.labeled] == Source.IMPORTED).all()


@st.composite
def tracks(draw: st.DrawFn) -> Track:
    n = draw(st.integers(1, 30))
    track = Track(n)
    for f in draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)):
        vis = draw(st.sampled_from([0, 1, 2, 3]))
        x = draw(st.floats(0, 1920, allow_nan=False))
        y = draw(st.floats(0, 1080, allow_nan=False))
        if vis == 3 and draw(st.booleans()):
            x = y = np.nan
        track.update(
            [f],
            x=x,
            y=y,
            visibility=vis,
            event=draw(st.sampled_from(list(Event))),
            source=draw(st.sampled_from([Source.HUMAN, Source.MODEL])),
        )
    return track


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(track=tracks())
def test_export_imports_back_identically(
    tmp_path_factory: pytest.TempPathFactory, track: Track
) -> None:
    folder = tmp_path_factory.mktemp("gt")
    write_groundtruth(track, folder)
    back, report = read_groundtruth(folder, GtImportOptions(n_frames=len(track)))
    assert_same_labels(back, track)
    assert report.imported == len(track.labeled_frames()) and report.n_skipped == 0


# ----- a hand-made output folder in Ground Truth's S3 layout -------------------------------
def make_job(
    root: Path,
    entries: list[dict],
    *,
    names: list[str] | None = None,
    kind: str = "tracking",
    attribute: str = "my-balls-ref",
) -> Path:
    names = names or [f"frame_{k:06d}.jpg" for k in (10, 11, 12)]
    seq = {
        "seq-no": 1,
        "prefix": "s3://bucket/frames/clip/",
        "number-of-frames": len(names),
        "frames": [
            {"frame-no": k + 1, "frame": n, "unix-timestamp": 1} for k, n in enumerate(names)
        ],
    }
    (root / "seqs").mkdir(parents=True, exist_ok=True)
    (root / "seqs" / "clip-0001.json").write_text(json.dumps(seq))
    label = root / "annotations/consolidated-annotation/output/0/SeqLabel.json"
    label.parent.mkdir(parents=True, exist_ok=True)
    label.write_text(json.dumps({f"{kind}-annotations": entries}))
    line = {
        "source-ref": "s3://bucket/gt/seqs/clip-0001.json",
        # an unrelated attribute whose name also ends in -ref: must not be picked
        "other-ref": "s3://x/y.json",
        "other-ref-metadata": {"type": "groundtruth/image-classification"},
        attribute: "s3://out/job/annotations/consolidated-annotation/output/0/SeqLabel.json",
        f"{attribute}-metadata": {
            "class-map": {"0": "ball"},
            "type": f"groundtruth/video-object-{kind}",
        },
    }
    manifest = root / OUTPUT_MANIFEST
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(line) + "\n")
    return manifest


def keypoint(x: float, y: float, name: str = "ball:1", vis: str = "easy") -> dict:
    return {
        "x": x,
        "y": y,
        "class-id": "0",
        "object-id": name,
        "object-name": name,
        "label-category-attributes": {"visibility": vis},
    }


def test_tracking_keypoints_map_by_file_name(tmp_path: Path) -> None:
    make_job(
        tmp_path,
        [
            {"frame-no": "0", "frame": "frame_000010.jpg", "keypoints": [keypoint(412, 233)]},
            {
                "frame-no": "2",
                "frame": "frame_000012.jpg",
                "keypoints": [keypoint(5, 6, vis="hard")],
                "frame-attributes": {"event": "hit"},
            },
        ],
    )
    track, report = read_groundtruth(tmp_path / OUTPUT_MANIFEST, GtImportOptions(n_frames=20))
    assert track.labeled_frames().tolist() == [10, 12]
    assert (track.x[10], track.y[10]) == (412, 233)
    assert track.visibility[12] == Visibility.HARD and track.event[12] == Event.HIT
    assert track.visibility[11] == Visibility.UNLABELED, "untouched frames stay unlabeled"
    assert report.imported == 2


def test_stride_and_offset_map_positions_to_video_frames(tmp_path: Path) -> None:
    names = ["a.jpg", "b.jpg", "c.jpg"]  # names without numbers: map by position
    make_job(tmp_path, [{"frame": "c.jpg", "keypoints": [keypoint(1, 2)]}], names=names)
    options = GtImportOptions(frame_map=FrameMap(by="position", stride=4, offset=100))
    track, _ = read_groundtruth(tmp_path, options)
    assert track.labeled_frames().tolist() == [108]
    assert len(track) == 109, "the sequence's last frame sets the default length"
    with pytest.raises(FormatError, match="carries no frame number"):
        read_groundtruth(tmp_path)


def test_detection_boxes_give_their_centre(tmp_path: Path) -> None:
    box = {"left": 10, "top": 20, "width": 6, "height": 4, "class-id": "0", "object-name": "ball:1"}
    make_job(tmp_path, [{"frame": "frame_000011.jpg", "annotations": [box]}], kind="detection")
    track, _ = read_groundtruth(tmp_path)
    assert (track.x[11], track.y[11]) == (13, 22)


def test_several_objects_must_be_picked(tmp_path: Path) -> None:
    make_job(
        tmp_path,
        [
            {"frame": "frame_000010.jpg", "keypoints": [keypoint(1, 1), keypoint(9, 9, "ball:2")]},
            {"frame": "frame_000011.jpg", "keypoints": [keypoint(2, 2, "ball:2")]},
        ],
    )
    with pytest.raises(
        AmbiguousObjectError, match="'ball:1' \\(1 frames\\), 'ball:2' \\(2 frames\\)"
    ) as err:
        read_groundtruth(tmp_path)
    assert [o.name for o in err.value.objects] == ["ball:1", "ball:2"]
    assert [o.frames for o in list_objects(tmp_path)] == [1, 2]
    track, _ = read_groundtruth(tmp_path, GtImportOptions(object_name="ball:2"))
    assert track.x[10] == 9 and track.x[11] == 2
    track, _ = read_groundtruth(tmp_path, GtImportOptions(object_name="ball:1"))
    assert track.x[10] == 1 and track.visibility[11] == Visibility.NO_BALL
    with pytest.raises(FormatError, match="no object named 'ball:3'"):
        read_groundtruth(tmp_path, GtImportOptions(object_name="ball:3"))


def test_instances_of_one_ball_that_never_meet_are_one_track(tmp_path: Path) -> None:
    """Real Ground Truth outputs number each new instance a worker draws (`ball:1`,
    `ball:2`): a worker who lost the ball and started again. Apart, they are one track."""
    make_job(
        tmp_path,
        [
            {"frame-no": "0", "frame": "frame_000010.jpeg", "keypoints": [keypoint(1, 1)]},
            {"frame-no": "1", "frame": "frame_000011.jpeg", "keypoints": []},
            {"frame-no": "2", "frame": "frame_000012.jpeg",
             "keypoints": [keypoint(5, 6, "ball:2")]},
        ],
        names=[f"frame_{k:06d}.jpeg" for k in (10, 11, 12)],
    )  # fmt: skip
    track, report = read_groundtruth(tmp_path)
    assert (track.x[10], track.x[12], track.y[12]) == (1, 5, 6)
    assert track.visibility[11] == Visibility.NO_BALL
    assert "merged the instances ball:1, ball:2" in report.summary()


def test_a_line_with_x_and_x_ref_takes_the_video_frame_attribute(tmp_path: Path) -> None:
    """Some real manifests carry an attribute `X` (another task's labels) beside `X-ref`:
    only a `-ref` attribute with video frame metadata is a tracking label file."""
    make_job(tmp_path, [{"frame": "frame_000010.jpg", "keypoints": [keypoint(7, 8)]}])
    manifest = output_manifest_path(tmp_path)
    line = json.loads(manifest.read_text())
    line["my-balls"] = {"annotations": []}
    line["my-balls-metadata"] = {"class-name": "ball", "type": "groundtruth/image-classification"}
    manifest.write_text(json.dumps(line) + "\n")
    track, _ = read_groundtruth(tmp_path)
    assert (track.x[10], track.y[10]) == (7, 8)


def test_unknown_frames_and_duplicates_are_reported(tmp_path: Path) -> None:
    make_job(
        tmp_path,
        [
            {"frame": "frame_000010.jpg", "keypoints": [keypoint(1, 1)]},
            {"frame": "frame_000099.jpg", "keypoints": [keypoint(1, 1)]},
            {"frame": "frame_000010.jpg", "keypoints": [keypoint(1, 1)]},
            {"frame": "frame_000011.jpg", "keypoints": [keypoint(3000, 1)]},
        ],
    )
    track, report = read_groundtruth(tmp_path, GtImportOptions(image_size=(1280, 720)))
    assert report.imported == 1
    assert report.skipped == {
        "frame name not in the sequence file": 1,
        "duplicate frame": 1,
        "position outside the 1280x720 image": 1,
    }
    assert "frame_000099.jpg" in report.summary()
    assert track.labeled_frames().tolist() == [10]


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        (
            [{"frame": "frame_000010.jpg", "keypoints": [{"x": float("nan"), "y": 1}]}],
            "frame frame_000010.jpg",
        ),
        ([{"frame": "frame_000010.jpg", "keypoints": [{"y": 1}]}], "frame frame_000010.jpg"),
        ([{"frame": "frame_000010.jpg", "polylines": [{"vertices": []}]}], "polylines cannot"),
        (
            [{"frame": "frame_000010.jpg", "keypoints": [keypoint(1, 1, vis="blurry")]}],
            "unknown visibility",
        ),
        (
            [
                {"frame": "frame_000010.jpg", "keypoints": [keypoint(1, 1)]},
                {"frame": "frame_000010.jpg", "keypoints": [keypoint(2, 1)]},
            ],
            "frame 10: two different labels",
        ),
    ],
)
def test_bad_label_files_name_the_file_and_frame(tmp_path: Path, entries: list, match: str) -> None:
    make_job(tmp_path, entries)
    with pytest.raises(FormatError, match=match) as err:
        read_groundtruth(tmp_path)
    assert "SeqLabel.json" in str(err.value)


def test_bad_manifests_name_the_file_and_line(tmp_path: Path) -> None:
    manifest = make_job(tmp_path, [])
    good = manifest.read_text()
    manifest.write_text(good + "{not json\n")
    with pytest.raises(FormatError, match=r"output\.manifest, line 2: not valid JSON"):
        read_groundtruth(tmp_path)
    manifest.write_text('{"source-ref": "s3://b/x.json", "x-ref": "a"}\n')
    with pytest.raises(FormatError, match="line 1: no '<name>-ref-metadata'"):
        read_groundtruth(tmp_path)
    manifest.write_text("")
    with pytest.raises(FormatError, match="line 1: empty manifest"):
        read_groundtruth(tmp_path)
    label = tmp_path / "annotations/consolidated-annotation/output/0/SeqLabel.json"
    manifest.write_text(good)
    label.write_text('{"something-else": []}')
    with pytest.raises(FormatError, match=r"unknown SeqLabel\.json shape"):
        read_groundtruth(tmp_path)
    seq = tmp_path / "seqs" / "clip-0001.json"
    seq.write_text('{"seq-no": 1, "number-of-frames": 5, "frames": []}')
    with pytest.raises(FormatError, match="number-of-frames is 5 but 0"):
        read_groundtruth(tmp_path)


def test_folder_opener_resolves_s3_uris_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.json").write_text("{}")
    opener = FolderOpener(tmp_path)
    assert opener("s3://bucket/prefix/job/a/b/c.json") == b"{}"
    assert opener("a/b/c.json") == b"{}"
    with pytest.raises(FileNotFoundError):
        opener("s3://bucket/zzz.json")


# ----- job export ------------------------------------------------------------------------
def numbered_frame(n: int) -> np.ndarray:
    image = np.zeros((36, 64, 3), dtype=np.uint8)
    image[..., 0] = n % 256  # the red channel carries the frame number
    return image


@pytest.mark.parametrize("adjustment", [False, True])
def test_labeling_job_export(tmp_path: Path, adjustment: bool) -> None:
    track = Track(1200)
    track.set_points([100, 1005], [10.0, 20.5], [30.0, 31.0])
    track.set_no_ball([105])
    export = write_labeling_job(
        track,
        tmp_path,
        range(100, 1200, 5),
        numbered_frame,
        base_uri="s3://bucket/jobs/rally-1",
        adjustment=adjustment,
    )
    names = sorted(p.name for p in export.frame_dir.iterdir())
    assert names[0] == "frame_000100.jpg" and len(names) == export.frames
    assert names == sorted(names, key=lambda s: s.encode()), "byte order is frame order"
    image = cv2.imread(str(export.frame_dir / "frame_001005.jpg"))
    assert abs(int(image[..., 2].mean()) - 1005 % 256) <= 2, "RGB written as RGB"
    seq = json.loads(export.sequences[0].read_text())
    assert seq["prefix"] == "s3://bucket/jobs/rally-1/frames/"
    assert seq["number-of-frames"] == len(seq["frames"]) == export.frames
    line = json.loads(export.input_manifest.read_text())
    assert line["source-ref"] == "s3://bucket/jobs/rally-1/sequences/tracknet-studio-0001.json"
    config = json.loads(export.label_config.read_text())
    assert config["annotationType"] == "Keypoint"
    assert config["labels"][0]["categoryAttributes"][0]["enum"] == ["easy", "hard", "occluded"]
    if adjustment:
        assert config["auditLabelAttributeName"] == "ball-ref"
        back, _ = read_groundtruth(
            export.input_manifest, GtImportOptions(n_frames=1200), opener=FolderOpener(tmp_path)
        )
        assert_same_labels(back, track)
    else:
        assert "ball-ref" not in line and "auditLabelAttributeName" not in config


def long_track(n: int) -> Track:
    """A track over n frames with a ball in most and none in some, every frame labelled."""
    track = Track(n)
    frames = np.arange(n)
    ball = frames % 7 != 0
    track.set_points(frames[ball], (frames[ball] % 1280).astype(float), (frames[ball] % 720) / 2)
    track.set_no_ball(frames[~ball])
    return track


def test_a_long_video_becomes_sequences_of_at_most_2000_frames(tmp_path: Path) -> None:
    """Ground Truth's quota: 2,000 frames per video frame sequence, 10 sequences per manifest
    (Developer Guide, "Input Data Quotas"). A 5,000-frame job is three sequences, one
    manifest line each, and its (simulated) output imports back to the same track."""
    track = long_track(5000)
    job = write_labeling_job(track, tmp_path / "job", range(5000), numbered_frame,
                             base_uri="s3://bucket/jobs/long/", adjustment=True)  # fmt: skip
    lines = job.input_manifest.read_text().splitlines()
    assert len(lines) == len(job.sequences) == 3
    sizes = [json.loads(p.read_text())["number-of-frames"] for p in job.sequences]
    assert sizes == [1667, 1667, 1666] and max(sizes) <= 2000
    firsts = [json.loads(p.read_text())["frames"][0]["frame"] for p in job.sequences]
    assert firsts == ["frame_000000.jpg", "frame_001667.jpg", "frame_003334.jpg"]
    assert [json.loads(line)["source-ref"].rsplit("/", 1)[1] for line in lines] == [
        "tracknet-studio-0001.json", "tracknet-studio-0002.json", "tracknet-studio-0003.json"
    ]  # fmt: skip
    # What Ground Truth gives back: one output line per sequence, frame-no as strings.
    output = write_groundtruth(track, tmp_path / "out")
    assert len(output.sequences) == 3
    first = json.loads(output.seqlabels[1].read_text())["tracking-annotations"][0]
    assert first["frame-no"] == "0" and first["frame"] == "frame_001667.jpg"
    back, _ = read_groundtruth(tmp_path / "out" / OUTPUT_MANIFEST,
                                    GtImportOptions(n_frames=5000))  # fmt: skip
    assert_same_labels(back, track)


def test_more_than_ten_sequences_are_refused_with_what_to_do() -> None:
    assert len(split_sequences(np.arange(20_000))) == 10
    with pytest.raises(ValueError, match="choose at most 20,000 frames"):
        split_sequences(np.arange(20_001))


def test_an_adjustment_jobs_output_imports_its_newest_attribute(tmp_path: Path) -> None:
    """An adjustment job's output line keeps the adjusted job's attribute and adds its own
    (docs/formats.md: `ball-ref` and `ball-adjusted-ref`): the import takes the newest
    adjustment and says so; the job's own attribute, when known, is taken as asked."""
    original = long_track(40)
    export = write_groundtruth(original, tmp_path)
    adjusted = original.copy()
    adjusted.set_points([5], [111.0], [222.0])
    write_groundtruth(adjusted, tmp_path / "adj")
    (tmp_path / "adj-labels.json").write_bytes((tmp_path / "adj" / SEQLABEL).read_bytes())
    line = json.loads(export.manifest.read_text())
    line["ball-adjusted-ref"] = "adj-labels.json"
    line["ball-adjusted-ref-metadata"] = {
        **line["ball-ref-metadata"], "adjustment-status": "adjusted",
        "creation-date": "2099-01-01T00:00:00+0000",
    }  # fmt: skip
    export.manifest.write_text(json.dumps(line) + "\n")
    opener = FolderOpener(tmp_path)
    back, report = read_groundtruth(export.manifest, opener=opener)
    assert (back.x[5], back.y[5]) == (111.0, 222.0)
    assert "'ball-adjusted-ref', the newest adjustment" in report.summary()
    asked, _ = read_groundtruth(export.manifest, GtImportOptions(label_attribute="ball-ref"),
                                opener=opener)  # fmt: skip
    assert_same_labels(asked, original)
    # Two attributes and no adjustment among them: the user must pick.
    del line["ball-adjusted-ref-metadata"]["adjustment-status"]
    line["other-ref"], line["other-ref-metadata"] = (
        line.pop("ball-adjusted-ref"),
        line.pop("ball-adjusted-ref-metadata"),
    )
    export.manifest.write_text(json.dumps(line) + "\n")
    with pytest.raises(FormatError, match="several label attributes"):
        read_groundtruth(export.manifest, opener=opener)


def test_label_config_follows_the_documented_schema() -> None:
    """The label category configuration schema for video frame jobs (Developer Guide,
    "Labeling category configuration file with label category and frame attributes
    reference", schema table): every frame attribute has a name, a type (string, number or
    boolean) and a description; a string attribute lists its values in enum; labels have a
    unique name; the task type is one the video frame tools offer."""
    for adjustment in (None, "ball-ref"):
        config = label_category_config(adjustment_of=adjustment)
        assert config["documentVersion"] == "2020-03-01"
        assert config["annotationType"] in {"BoundingBox", "Polyline", "Polygon", "Keypoint"}
        attributes = config["frameAttributes"] + [
            a for label in config["labels"] for a in label.get("categoryAttributes", [])
        ]
        for attribute in attributes:
            assert {"name", "type", "description"} <= set(attribute), attribute
            assert attribute["type"] in {"string", "number", "boolean"}
            assert isinstance(attribute["description"], str) and attribute["description"]
            if attribute["type"] == "string":
                assert attribute["enum"] and len(set(attribute["enum"])) == len(attribute["enum"])
        names = [label["label"] for label in config["labels"]]
        assert len(names) == len(set(names))
        assert set(config["instructions"]) == {"shortInstruction", "fullInstruction"}


def test_label_config_respects_ground_truth_limits() -> None:
    config = label_category_config()
    for label in config["labels"]:
        assert len(label["label"]) <= 16
        assert all(len(a["name"]) <= 16 for a in label["categoryAttributes"])
    assert len(config["frameAttributes"]) <= 10


def test_frame_names_are_zero_padded_and_exact() -> None:
    assert frame_name(7, 100) == "frame_000007.jpg"
    assert frame_name(12_345_678, 20_000_000) == "frame_12345678.jpg"


def test_seqlabel_text_reads_back_as_the_track() -> None:
    """write_groundtruth writes SeqLabel.json text directly (for speed): it must read back
    as JSON holding every labeled frame exactly, whatever the floats and the object id."""
    n = 300
    track = Track(n)
    frames = np.arange(n)
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 1300, n)  # full-precision floats: repr must match json's
    x[::2] = x[::2].round(2)
    odd = [1e-7, 123456789.125, 0.1 + 0.2, -0.0, 5e20, 1 / 3, 7.0, 1e16]
    x[1 : 1 + 37 * len(odd) : 37] = odd
    vis = rng.choice(
        [Visibility.NO_BALL, Visibility.VISIBLE, Visibility.HARD, Visibility.OCCLUDED], n
    )
    track.update(frames, x=x, y=x[::-1], visibility=vis, event=rng.choice([0, 1, 2], n))
    track.update(frames[5:15], visibility=Visibility.OCCLUDED, x=np.nan, y=np.nan)
    track.clear(frames[40:60])
    for object_id in ("ball-1", 'odd "id" \\ é\n %s %d %%'):
        for sequence in (frames, frames[100:250], frames[40:60], frames[:0]):
            doc = json.loads(seqlabel_json(track, sequence, object_id=object_id))
            assert doc == seqlabel(track, sequence, object_id=object_id)
            labeled = sequence[track.labeled[sequence]].tolist()
            entries = doc["tracking-annotations"]
            assert [e["frame"] for e in entries] == [frame_name(f, n) for f in labeled]
            for entry, f in zip(entries, labeled, strict=True):
                (point,) = entry["keypoints"] or [None]
                if point is None:
                    assert not track.has_ball[f]
                    occluded = track.visibility[f] == Visibility.OCCLUDED
                    assert entry["frame-attributes"]["visible"] == (
                        "occluded" if occluded else "no"
                    )
                else:
                    assert (point["x"], point["y"]) == (track.x[f], track.y[f])  # exactly
                    assert point["object-id"] == object_id
                    assert entry["frame-attributes"]["visible"] == "yes"


def test_a_sequence_file_lists_its_frames_in_order() -> None:
    from tracknet_studio.formats.groundtruth_export import sequence_file

    text = sequence_file(np.array([5, 9, 1000]), 2000, 's3://b/"odd" prefix', seq_no=3)
    assert json.loads(text) == {
        "seq-no": 3,
        "prefix": 's3://b/"odd" prefix/',
        "number-of-frames": 3,
        "frames": [
            {"frame-no": 1, "frame": "frame_000005.jpg"},
            {"frame-no": 2, "frame": "frame_000009.jpg"},
            {"frame-no": 3, "frame": "frame_001000.jpg"},
        ],
    }
