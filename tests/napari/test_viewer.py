"""Images in a real (shown) napari viewer under Xvfb: orientation, axes, sliders, readout, pixels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_temimages import DiffractionPatterns, FrozenPhononsAxis, Images, NonLinearAxis, ParameterAxis
from napari_temimages._viewer import text_overlay

pytestmark = pytest.mark.gui

MEMBER = (2, 3, 1)  # frozen phonon 3 of 3, C10 = -60 Å, dose = 100 e/Å²


def _series() -> Images:
    """(3 phonons, 4 defocus, 3 doses, 32 x, 32 y); one member has a block at large x, small y."""
    array = np.zeros((3, 4, 3, 32, 32), np.float32)
    array[MEMBER + (slice(24, 32), slice(0, 8))] = 1.0  # x = 12..16 Å (right), y = 0..4 Å (bottom)
    array[..., 0, 31] = 0.5  # something in every member, so that no member is blank
    axes = [
        FrozenPhononsAxis(_ensemble_mean=True),
        ParameterAxis(label="C10", units="Å", values=(60.0, 20.0, -20.0, -60.0)),
        NonLinearAxis(label="dose", units="e/Å²", values=(10.0, 100.0, 1e4)),  # non-uniform
    ]
    return Images(array, sampling=0.5, ensemble_axes_metadata=axes, metadata={"label": "intensity"})


def _bright_centroid(image: np.ndarray) -> tuple[float, float]:
    gray = image[..., :3].mean(axis=-1)
    rows, cols = np.nonzero(gray > 200)
    assert rows.size > 50, "the bright block is not on screen"
    return rows.mean() / gray.shape[0], cols.mean() / gray.shape[1]


def test_series_shows_x_right_y_up_with_physical_sliders_and_readout(viewer, qtbot):
    im = _series()
    (layer,) = im.add_to_viewer(viewer, name="series")

    # camera: vertical axis up, so the transposed view draws x to the right and y upwards
    assert tuple(str(o.value) for o in viewer.scene.camera.orientation2d) == ("up", "right")
    # axes: one slider per ensemble axis, labelled with its name; physical scale and units
    assert layer.axis_labels == ("Frozen phonons", "C10", "dose", "y", "x")
    assert viewer.dims.axis_labels == layer.axis_labels
    np.testing.assert_allclose(layer.scale, (1.0, -40.0, 1.0, 0.5, 0.5))
    np.testing.assert_allclose(layer.translate, (0.0, 60.0, 0.0, 0.0, 0.0))
    assert [str(u) for u in layer.units] == ["pixel", "angstrom", "pixel", "angstrom", "angstrom"]
    qt_dims = viewer.window._qt_viewer.dims
    shown = [w for w, on in zip(qt_dims.slider_widgets, qt_dims._displayed_sliders) if on]
    assert [w.axis_label.text() for w in shown] == ["Frozen phonons", "C10", "dose"]
    # limits from the first, middle and last members only (the block's member is not one of them)
    assert layer.contrast_limits == [0.0, 0.5]

    # move the sliders to MEMBER in physical units where the axis has them
    viewer.dims.set_current_step(0, 2)
    viewer.dims.set_point(1, -60.0)  # world coordinate of C10 is its value in Å
    viewer.dims.set_current_step(2, 1)
    assert text_overlay(viewer).visible
    assert text_overlay(viewer).text == "series: Frozen phonons 3 of 3, C10 = \u221260 Å, dose = 100 e/Å²"

    # status bar: world coordinates are x and y in Å (napari order y, x); value of array[ix, iy]
    point = tuple(viewer.dims.point[:3])
    status = layer.get_status(point + (1.0, 13.0), world=True)  # y = 1 Å, x = 13 Å
    assert status["coords"].endswith("1.000, 13.000]") and status["value"] == "1"
    assert layer.get_value(point + (1.0, 13.0), world=True) == im.array[MEMBER + (26, 2)] == 1.0
    assert layer.get_value(point + (13.0, 1.0), world=True) == im.array[MEMBER + (2, 26)] == 0.0

    # pixels: the block (large x, small y) is drawn in the lower right of the canvas
    viewer.reset_view()
    qtbot.wait(50)
    shot = viewer.screenshot(canvas_only=True, flash=False)
    assert shot[..., :3].std() > 5
    row, col = _bright_centroid(shot)
    assert row > 0.6 and col > 0.6, (row, col)

    # another member: the block is gone, the readout follows (descending C10 axis)
    viewer.dims.set_point(1, 20.0)
    assert "C10 = 20 Å" in text_overlay(viewer).text
    assert layer.get_value(tuple(viewer.dims.point[:3]) + (1.0, 13.0), world=True) == 0.0

    # the readout ignores hidden layers and disappears with the last one
    layer.visible = False
    assert not text_overlay(viewer).visible and text_overlay(viewer).text == ""
    layer.visible = True
    assert text_overlay(viewer).visible

    # round trip through the napari layer itself
    back = Images.from_layer(layer)
    assert back.array.tobytes() == im.array.tobytes()
    assert back.ensemble_axes_metadata == im.ensemble_axes_metadata and back.sampling == im.sampling


def test_complex_and_diffraction_layers_in_the_viewer(viewer):
    rng = np.random.default_rng(0)
    wave = (rng.random((2, 16, 12)) * np.exp(1j * rng.uniform(-3, 3, (2, 16, 12)))).astype(np.complex64)
    im = Images(wave, sampling=(0.2, 0.1), ensemble_axes_metadata=[ParameterAxis(label="C10", units="Å", values=(0.0, 10.0))])
    amp, phase = im.ensure_lazy().add_to_viewer(viewer, name="wave")
    assert (amp.name, phase.name) == ("wave (amplitude)", "wave (phase)")
    assert phase.colormap.name == "twilight"
    np.testing.assert_allclose(phase.contrast_limits, (-math.pi, math.pi))
    assert amp.contrast_limits[0] >= 0 and amp.contrast_limits[1] > 0.5
    # one readout line for the pair
    assert text_overlay(viewer).text.count("\n") == 0 and "C10 =" in text_overlay(viewer).text
    assert Images.from_layer(phase).array.dtype == np.complex64

    patterns = DiffractionPatterns(np.abs(np.fft.fft2(np.abs(wave))).astype(np.float32), sampling=(1 / 3.2, 1 / 1.2),
                                   fftshift=False, ensemble_axes_metadata=[ParameterAxis(label="C10", units="Å", values=(0.0, 10.0))])
    (layer,) = patterns.add_to_viewer(viewer, name="fft")
    assert [str(u) for u in layer.units[-2:]] == ["1 / angstrom", "1 / angstrom"]
    assert layer.gamma == 0.25 and layer.axis_labels[-2:] == ("ky", "kx")
    # the zero frequency is in the middle of the shown pattern (display fftshift), at world (0, 0)
    value = layer.get_value((viewer.dims.point[0], 0.0, 0.0), world=True)
    assert value == pytest.approx(float(np.abs(np.fft.fft2(np.abs(wave)))[int(round(viewer.dims.point[0] / 10)), 0, 0]), rel=1e-5)
    back = DiffractionPatterns.from_layer(layer)
    assert back.fftshift is False and back.array.tobytes() == patterns.array.tobytes()
