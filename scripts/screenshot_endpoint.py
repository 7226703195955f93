"""Screenshot of Model > Run Model… with a SageMaker endpoint listed and chosen, over the
demo clip. The endpoint lives in moto (server mode on 127.0.0.1, fake credentials), so no
AWS account is touched. Run under X (see scripts/screenshot):

    Xvfb :97 -screen 0 1280x800x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshot_endpoint.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

from moto.server import ThreadedMotoServer

OUT = "docs/screenshot-endpoint.png"
SERVER = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)


def emulated_aws() -> None:
    """An emulator with an endpoint in service, and this process pointed at it."""
    SERVER.start()
    host, port = SERVER.get_host_and_port()
    folder = tempfile.mkdtemp(prefix="tracknet-screenshot-")
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1",
        AWS_CONFIG_FILE=f"{folder}/none", AWS_SHARED_CREDENTIALS_FILE=f"{folder}/none",
        TRACKNET_STUDIO_CONFIG_DIR=f"{folder}/config",
    )  # fmt: skip
    import boto3

    from tracknet_studio.cloud.settings import CloudSettings

    region = "eu-west-1"
    boto3.client("s3", region_name=region).create_bucket(
        Bucket="rally-models", CreateBucketConfiguration={"LocationConstraint": region}
    )
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"Service": "sagemaker.amazonaws.com"}}]}  # fmt: skip
    role = boto3.client("iam").create_role(
        RoleName="tracknet", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    CloudSettings(region=region, bucket="rally-models", role_arn=role).save()
    sm = boto3.client("sagemaker", region_name=region)
    for name, instance in (("badminton-ft-1206", "ml.g4dn.xlarge"), ("tennis-cpu", "ml.c5.xlarge")):
        sm.create_model(
            ModelName=name, ExecutionRoleArn=role,
            PrimaryContainer={"Image": "pytorch-inference:2.5-gpu-py311",
                              "ModelDataUrl": f"s3://rally-models/{name}/model.tar.gz"},
        )  # fmt: skip
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name,
                                 "InitialInstanceCount": 1, "InstanceType": instance}],
        )  # fmt: skip
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


emulated_aws()

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from screenshot_support import capture_screen, demo_window  # noqa: E402

from tracknet_studio.ui.prediction import RunModelDialog, endpoint_lister  # noqa: E402

app, window, video, _csv = demo_window("endpoint")
state: dict[str, object] = {}


def open_dialog(_info: object) -> None:
    if "dialog" in state:
        return
    dialog = RunModelDialog(window, window.project, None, "", endpoint_lister())
    state["dialog"] = dialog
    dialog.show()
    dialog.move(window.geometry().center() - dialog.rect().center())
    QTimer.singleShot(300, wait_for_endpoints)


def wait_for_endpoints() -> None:
    dialog = state["dialog"]
    if dialog.endpoint_note.text().startswith("Looking"):  # type: ignore[attr-defined]
        QTimer.singleShot(200, wait_for_endpoints)
        return
    dialog.run_on.setCurrentIndex(dialog.run_on.findText("badminton", Qt.MatchFlag.MatchContains))  # type: ignore[attr-defined]
    dialog.adjustSize()  # type: ignore[attr-defined]
    QTimer.singleShot(800, shoot)


def shoot() -> None:
    capture_screen(window, OUT)
    SERVER.stop()
    app.exit(0)


window.player.video_opened.connect(open_dialog)
QTimer.singleShot(0, lambda: window.files.open_video(video))
QTimer.singleShot(120_000, lambda: (print("timed out", file=sys.stderr), app.exit(1)))
sys.exit(app.exec())
