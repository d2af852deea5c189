"""Files in a real napari viewer: open/save, drag-and-drop, sample data, lazy slicing, the main job."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from napari_temimages import FrozenPhononsAxis, Images, ParameterAxis, from_zarr
from napari_temimages._viewer import text_overlay

pytestmark = pytest.mark.gui

PLUGIN = "napari-temimages"


def _bytes(array) -> bytes:
    return np.ascontiguousarray(np.asarray(array)).tobytes()


def _drop(viewer, paths) -> None:
    """What napari's canvas does when files are dropped on it (QtViewer.dropEvent)."""
    from qtpy.QtCore import QMimeData, QPointF, Qt, QUrl
    from qtpy.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    viewer.window._qt_viewer.dropEvent(event)




def test_open_and_save_in_the_viewer_reproduces_files(viewer, fixture_path, tmp_path):
    path = fixture_path("hrtem_sto_defocus.zip")
    (layer,) = viewer.open(str(path), plugin=PLUGIN)
    assert layer.source.reader_plugin == PLUGIN
    assert layer.axis_labels == ("C10", "y", "x") and viewer.dims.axis_labels == ("C10", "y", "x")
    assert [str(u) for u in layer.units] == ["angstrom"] * 3
    np.testing.assert_allclose(layer.scale, (-40.0, 0.09927966101694916, 0.09927966101694916))
    assert layer.contrast_limits != [0.0, 1.0]
    viewer.dims.set_point(0, 60.0)
    assert text_overlay(viewer).text == "hrtem_sto_defocus: C10 = 60 Å"
    viewer.dims.set_point(0, -60.0)
    assert text_overlay(viewer).text == "hrtem_sto_defocus: C10 = \u221260 Å"

    original = from_zarr(str(path))
    for out in (tmp_path / "saved.zarr", tmp_path / "saved.zip"):
        assert layer.save(str(out), plugin=PLUGIN) == [str(out)]
        saved = from_zarr(str(out))
        assert _bytes(saved.array) == _bytes(original.array)
        assert saved.metadata == original.metadata and saved.sampling == original.sampling
        assert saved.ensemble_axes_metadata == original.ensemble_axes_metadata

    # complex data: amplitude and phase layers; saving either writes the complex image
    amp, phase = viewer.open(str(fixture_path("com_sto.zarr")), plugin=PLUGIN)
    assert (amp.name, phase.name) == ("com_sto (amplitude)", "com_sto (phase)")
    assert phase.colormap.name == "twilight"
    np.testing.assert_allclose(phase.contrast_limits, (-math.pi, math.pi))
    out = tmp_path / "wave.zarr"
    phase.save(str(out), plugin=PLUGIN)
    complex_original, complex_saved = from_zarr(str(fixture_path("com_sto.zarr"))), from_zarr(str(out))
    assert complex_saved.dtype == np.complex64
    assert _bytes(complex_saved.array) == _bytes(complex_original.array)
    assert complex_saved.metadata == complex_original.metadata


def test_drag_and_drop_uses_the_plugin(viewer, fixture_path, copy_fixture, notifications):
    from napari.plugins import _npe2
    from napari.settings import get_settings

    zarr_dir = fixture_path("stem_adf_sto_fp_defocus.zarr")
    # napari's builtins claim *.zarr too: without a preference a drop would open a chooser dialog
    assert {"napari", PLUGIN} <= set(_npe2.get_readers(str(zarr_dir)))
    assert get_settings().plugins.extension2reader.get("*.zarr/") is None

    # the plugin's command sets the preference ("*.zarr/": napari matches folders with a trailing /)
    from napari._app_model import get_app_model

    get_app_model().commands.execute_command(f"{PLUGIN}.set_reader_preference").result()
    assert get_settings().plugins.extension2reader["*.zarr/"] == PLUGIN

    _drop(viewer, [zarr_dir])
    (layer,) = viewer.layers
    assert layer.source.reader_plugin == PLUGIN and layer.name == "stem_adf_sto_fp_defocus"
    assert layer.axis_labels == ("Frozen phonons", "C10", "y", "x")
    assert "Frozen phonons 2 of 3" in text_overlay(viewer).text  # napari starts in the middle

    # .zip stores: no other reader claims them here, so no preference is needed
    _drop(viewer, [fixture_path("hrtem_sto_defocus.zip")])
    assert viewer.layers[-1].source.reader_plugin == PLUGIN and len(viewer.layers) == 2

    # a broken abTEM store: a notification with the reader's message, and no layer
    broken = copy_fixture("hrtem_sto_defocus.zarr")
    import shutil

    shutil.rmtree(broken / "array0")
    _drop(viewer, [broken])
    assert len(viewer.layers) == 2
    assert any(sev == "error" and "could not open hrtem_sto_defocus.zarr" in msg for sev, msg in notifications)


def test_sample_data_and_lazy_slicing(viewer, tmp_path, monkeypatch, qtbot):
    for key in ("hrtem_defocus", "stem_frozen_phonons"):
        viewer.open_sample(PLUGIN, key)
    assert [layer.name for layer in viewer.layers] == ["hrtem_sto_defocus", "stem_adf_sto_fp_defocus"]
    assert viewer.dims.axis_labels == ("Frozen phonons", "C10", "y", "x")  # C10 shared, in Å
    lines = text_overlay(viewer).text.split("\n")
    assert lines[0].startswith("stem_adf_sto_fp_defocus: Frozen phonons") and "C10 = " in lines[0]
    assert lines[1].startswith("hrtem_sto_defocus: C10 = ")
    viewer.grid.enabled = True
    viewer.reset_view()
    qtbot.wait(50)
    shot = viewer.screenshot(canvas_only=True, flash=False)
    assert shot[..., :3].std() > 10

    # a lazy (phonons x defocus x 64 x 64) store: opening reads a few members, a slider step one
    import zarr
    from zarr.storage import LocalStore

    rng = np.random.default_rng(0)
    series = Images(rng.random((3, 4, 64, 64)).astype(np.float32), sampling=0.1,
                    ensemble_axes_metadata=[FrozenPhononsAxis(), ParameterAxis(label="C10", units="Å", values=(0.0, 50.0, 100.0, 150.0))])
    path = tmp_path / "series.zarr"
    series.ensure_lazy(chunks=(1, 1, 64, 64)).to_zarr(str(path))
    chunks = zarr.open_group(str(path), mode="r")["array0"].chunks
    per_member = math.ceil(64 / chunks[-2]) * math.ceil(64 / chunks[-1])

    reads: list[str] = []
    original_get = LocalStore.get

    async def counting_get(self, key, *args, **kwargs):
        if "/c/" in key or key.split("/")[-1].replace(".", "").isdigit():
            reads.append(key)
        return await original_get(self, key, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "get", counting_get)
    (layer,) = viewer.open(str(path), plugin=PLUGIN)
    assert 0 < len(reads) <= 4 * per_member  # contrast estimate (<= 3 members) + the shown slice
    reads.clear()
    axis = list(viewer.dims.axis_labels).index("C10")
    viewer.dims.set_point(axis, 150.0)
    assert len(reads) <= per_member, reads
    if tuple(chunks[:2]) == (1, 1):  # one member per chunk: this member was not read before
        assert len(reads) > 0
    assert "C10 = 150 Å" in text_overlay(viewer).text


def test_main_job_renders_headless(tmp_path):
    """`python -m napari_temimages --screenshot` on a machine without a screen (starts its own Xvfb)."""
    out = tmp_path / "main.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "napari_temimages", "--screenshot", str(out)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    from napari_temimages.__main__ import widget_names

    assert f"2 layers, {len(widget_names())} widgets)" in proc.stdout, proc.stdout  # every widget docked
    import imageio.v3 as iio

    image = iio.imread(out)
    assert image.shape[0] > 500 and image.shape[1] > 800
    assert image[..., :3].std() > 10
