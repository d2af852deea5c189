"""A plain (non-editable) build ships the npe2 manifest, the sample data and every module."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("napari_temimages-*.whl")
    return path


def test_wheel_contents(wheel) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "napari_temimages/napari.yaml" in names
    assert any(n.startswith("napari_temimages/data/") and n.endswith(".zip") for n in names)
    for module in ("_core/images.py", "_core/ops/resample.py", "_core/zarr_format.py", "layer_data.py", "_reader.py"):
        assert f"napari_temimages/{module}" in names, module
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "napari_temimages:napari.yaml" in text


def test_packaged_manifest_equals_the_root_manifest(wheel) -> None:
    packaged = zipfile.ZipFile(wheel).read("napari_temimages/napari.yaml").decode()
    assert packaged == (ROOT / "napari.yaml").read_text()
