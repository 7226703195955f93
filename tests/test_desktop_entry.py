"""The Linux desktop entry and MIME type of packaging/linux, read as the desktop reads them."""

from __future__ import annotations

import configparser
import fnmatch
import xml.etree.ElementTree as ET
from pathlib import Path

LINUX = Path(__file__).resolve().parents[1] / "packaging" / "linux"
PROJECT_TYPE = "application/x-tracknet-project"


def test_the_desktop_entry_opens_projects_and_videos() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(LINUX / "tracknet-studio.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "tracknet-studio %f"
    types = desktop["MimeType"].rstrip(";").split(";")
    assert PROJECT_TYPE in types and "video/mp4" in types
    icon = Path(__file__).resolve().parents[1] / "tracknet_studio" / "resources" / "icons"
    assert (icon / f"{desktop['Icon']}.svg").is_file()


def test_the_mime_type_claims_tnproj_files() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(LINUX / "tracknet-studio-mime.xml").getroot()
    [kind] = root.findall("m:mime-type", ns)
    assert kind.get("type") == PROJECT_TYPE
    [glob] = kind.findall("m:glob", ns)
    assert fnmatch.fnmatch("final.tnproj", glob.get("pattern"))
