"""The line-profile and live-diffractogram docks: they follow the line, the sliders, the width and
the theme; their values are the core model's; exports; their screenshots are not blank."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import Images, ParameterAxis, RealSpaceLineProfiles
from napari_temimages._widgets.diffractogram import DiffractogramDock
from napari_temimages._widgets.line_profile import LineProfileDock

pytestmark = pytest.mark.gui


def _ramp_series() -> Images:
    """Three members ``k * (x + y²/10)`` (k = 1, 2, 3) on a (24 x, 20 y) grid, d = (0.25, 0.2) Å."""
    x = np.arange(24)[:, None] * 0.25
    y = np.arange(20)[None, :] * 0.2
    base = x + y**2 / 10
    array = np.stack([k * base for k in (1, 2, 3)]).astype(np.float32)
    array[1, 10, 5] += 20.0  # something to see in member 1's diffractogram
    axes = [ParameterAxis(label="C10", units="Å", values=(-20.0, 0.0, 20.0))]
    return Images(array, sampling=(0.25, 0.2), ensemble_axes_metadata=axes,
                  metadata={"label": "intensity", "units": "arb. unit", "energy": 200e3})


def _settle(qtbot, dock, before):
    qtbot.waitUntil(lambda: dock.refresh_count > before, timeout=5_000)


def test_line_profile_dock_follows_line_sliders_width_and_exports(viewer, qtbot, tmp_path):
    obj = _ramp_series()
    (layer,) = obj.add_to_viewer(viewer, name="ramp")
    dock = LineProfileDock(viewer)
    viewer.window.add_dock_widget(dock, name="profile")
    assert dock.image.value is layer
    dock.refresh()
    assert dock.profile is None and "line" in dock.message  # tells the user what to do
    blank = dock.pixels()

    # draw a line (world coordinates are (y, x) in Å)
    shapes = dock.new_line()
    assert dock.line.value is shapes and shapes.mode == "add_line"
    assert [str(u) for u in shapes.units] == ["angstrom", "angstrom"]
    n = dock.refresh_count
    shapes.add_lines(np.array([[1.0, 0.5], [1.0, 4.5]]))  # y = 1 Å, x = 0.5 ... 4.5 Å
    _settle(qtbot, dock, n)
    step = viewer.dims.current_step[0]
    assert dock.start == pytest.approx((0.5, 1.0)) and dock.end == pytest.approx((4.5, 1.0))
    assert dock.indices == (step,)
    expected = obj[step].interpolate_line((0.5, 1.0), (4.5, 1.0))
    assert isinstance(dock.profile, RealSpaceLineProfiles) and dock.profile == expected
    # the plot is the profile, in Å
    (line,) = dock.ax.lines
    np.testing.assert_allclose(line.get_xdata(), np.arange(expected.shape[-1]) * expected.sampling)
    np.testing.assert_allclose(line.get_ydata(), np.asarray(expected.array))
    assert "Å" in dock.ax.get_xlabel() and "C10" in dock.ax.get_title()
    shot = dock.pixels()
    assert shot.std() > 10 and np.abs(shot.astype(int) - blank.astype(int)).mean() > 1

    # move the line: the profile follows
    n = dock.refresh_count
    shapes.data = [np.array([[0.4, 2.0], [3.4, 2.0]])]  # x = 2 Å, y = 0.4 ... 3.4 Å
    _settle(qtbot, dock, n)
    assert dock.start == pytest.approx((2.0, 0.4)) and dock.end == pytest.approx((2.0, 3.4))
    assert dock.profile == obj[step].interpolate_line((2.0, 0.4), (2.0, 3.4))
    # move the slider: the profile of the other member
    n = dock.refresh_count
    other = (step + 1) % 3
    viewer.dims.set_current_step(0, other)
    _settle(qtbot, dock, n)
    assert dock.indices == (other,)
    assert dock.profile == obj[other].interpolate_line((2.0, 0.4), (2.0, 3.4))
    assert "C10 = " in dock.ax.get_title()
    # width
    n = dock.refresh_count
    dock.width.value = 0.6
    _settle(qtbot, dock, n)
    assert dock.profile == obj[other].interpolate_line((2.0, 0.4), (2.0, 3.4), width=0.6)

    # exports
    csv = dock.export_csv(tmp_path / "profile.csv")
    text = csv.read_text()
    assert "start (x, y) Å: 2, 0.4" in text and "width Å: 0.6" in text and "r (Å),intensity (arb. unit)" in text
    table = np.loadtxt(csv, delimiter=",")
    np.testing.assert_allclose(table[:, 0], np.arange(dock.profile.shape[-1]) * dock.profile.sampling)
    np.testing.assert_allclose(table[:, 1], np.asarray(dock.profile.array), rtol=1e-6)
    job = dock.export_zarr(tmp_path / "profile.zarr")
    assert job.wait(30_000) and job.succeeded, job.error
    from napari_temimages import from_zarr

    saved = from_zarr(str(tmp_path / "profile.zarr"))
    assert isinstance(saved, RealSpaceLineProfiles)
    assert saved.compute() == obj.interpolate_line((2.0, 0.4), (2.0, 3.4), width=0.6)

    # theme
    dark = dock.figure.get_facecolor()
    viewer.theme = "light"
    assert dock.figure.get_facecolor() != dark
    # a line layer added later (e.g. by the Line profile widget) is picked up
    later = viewer.add_shapes([np.array([[0.2, 0.2], [2.2, 2.2]])], shape_type="line", name="later",
                              units=("Å", "Å"))
    assert dock.line.value is later


def test_diffractogram_dock_follows_sliders_in_reciprocal_units(viewer, qtbot):
    obj = _ramp_series()
    lazy = obj.lazy()
    (layer,) = lazy.add_to_viewer(viewer, name="ramp")
    dock = DiffractogramDock(viewer)
    viewer.window.add_dock_widget(dock, name="diffractogram")
    assert dock.image.value is layer
    dock.refresh()
    step = viewer.dims.current_step[0]
    assert dock.indices == (step,)
    expected = obj[step].diffractograms()
    assert dock.diffractogram == expected
    (image,) = dock.ax.images
    left, right, bottom, top = image.get_extent()
    (kx0, kx1), (ky0, ky1) = expected.limits
    dkx, dky = expected.sampling
    assert dkx == pytest.approx(1 / obj.extent[0]) and dky == pytest.approx(1 / obj.extent[1])
    assert left == pytest.approx(kx0 - dkx / 2) and top == pytest.approx(ky1 + dky / 2)
    assert "1/Å" in dock.ax.get_xlabel() and "1/Å" in dock.ax.get_ylabel()
    shot = dock.pixels()
    assert shot.std() > 10

    n = dock.refresh_count
    other = (step + 1) % 3
    viewer.dims.set_current_step(0, other)
    _settle(qtbot, dock, n)
    assert dock.indices == (other,) and dock.diffractogram == obj[other].diffractograms()
    assert np.abs(dock.pixels().astype(int) - shot.astype(int)).mean() > 0.5  # the picture changed

    n = dock.refresh_count
    dock.display.value = "log"
    _settle(qtbot, dock, n)
    assert dock.ax.images[0].norm.__class__.__name__ == "LogNorm"

    # a reciprocal-space layer is refused with a message, not an exception
    (dp_layer,) = expected.add_to_viewer(viewer, name="dp")
    dock.image.value = dp_layer
    dock.refresh()
    assert dock.diffractogram is None and "Images" in dock.message
    assert dock.pixels().std() > 5
