"""The npe2 manifest: valid, importable, shipped, and the repo-root copy identical to the packaged one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "src" / "napari_temimages" / "napari.yaml"


def test_root_and_packaged_manifests_are_identical():
    assert (ROOT / "napari.yaml").read_bytes() == PACKAGED.read_bytes()


def test_installed_manifest_is_the_packaged_file_and_all_commands_import():
    manifest = PluginManifest._from_package_or_name("napari-temimages")
    assert Path(manifest._source_file).resolve() == PACKAGED.resolve()
    assert manifest.name == "napari-temimages"
    manifest.validate_imports()  # imports every python_name (what `npe2 validate --imports` does)
    c = manifest.contributions
    (reader,) = c.readers
    assert reader.accepts_directories
    assert {"*.zarr", "*.zip", "*.tif", "*.tiff"} <= set(reader.filename_patterns)
    writers = {w.display_name: (w.layer_types, w.filename_extensions) for w in c.writers}
    assert writers["abTEM zarr"] == (["image"], [".zarr", ".zip"])
    assert writers["TIFF with pixel size"] == (["image"], [".tif", ".tiff"])
    assert {s.key for s in c.sample_data} == {"hrtem_defocus", "stem_frozen_phonons"}
    menu = c.menus["napari/file/io_utilities"]
    assert [m.command for m in menu] == ["napari-temimages.set_reader_preference"]


def test_sample_files_are_shipped_and_small():
    from napari_temimages._sample_data import SAMPLES, sample_path

    total = 0
    for key in SAMPLES:
        path = sample_path(key)
        assert path.is_file(), path
        total += path.stat().st_size
    assert total < 300_000
    with pytest.raises(KeyError, match="unknown sample"):
        sample_path("nope")


def test_npe2_validate_cli_with_imports():
    """What CI runs: ``npe2 validate napari-temimages --imports``."""
    cmd = [sys.executable, "-m", "npe2", "validate", "napari-temimages", "--imports"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0 and "✔ Manifest for" in proc.stdout, proc.stdout + proc.stderr
