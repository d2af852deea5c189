"""show(): matplotlib figures of Images, DiffractionPatterns and line profiles (spec §3.12)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from napari_temimages import Images  # noqa: E402
from napari_temimages._core.errors import InvalidArgumentError, InvalidTypeError  # noqa: E402
from napari_temimages._core.visualize import Visualization, domain_coloring  # noqa: E402

from .helpers import TaskCounter, make_images  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_x_runs_right_and_y_up_in_angstrom() -> None:
    image = np.zeros((6, 4), dtype=np.float32)
    image[5, 0] = 1.0  # large x, small y -> lower right
    vis = Images(image, sampling=(0.5, 0.25), metadata={"label": "intensity", "units": "arb. unit"}).show(cbar=True)
    assert isinstance(vis, Visualization)
    artist = vis.artists[0, 0]
    np.testing.assert_array_equal(artist.get_array(), image.T)
    assert artist.origin == "lower"
    assert artist.get_extent() == pytest.approx([-0.25, 2.75, -0.125, 0.875])
    assert vis.ax.get_xlabel() == "$x$ [Å]" and vis.ax.get_ylabel() == "$y$ [Å]"
    assert vis.colorbars[0].ax.get_ylabel() == "intensity [arb. unit]"
    assert artist.get_cmap().name == "viridis"


def test_units_conversion_and_norms() -> None:
    im = make_images((5, 4))
    vis = im.show(units="nm", power=0.5)
    assert vis.artists[0, 0].get_extent() == pytest.approx([-0.005, 0.045, -0.01, 0.07])
    assert vis.ax.get_xlabel() == "$x$ [nm]"
    assert isinstance(vis.artists[0, 0].norm, mcolors.PowerNorm)
    assert isinstance(im.show(logscale=True, vmin=-1.0).artists[0, 0].norm, mcolors.LogNorm)
    with pytest.raises(InvalidArgumentError, match="both power"):
        im.show(power=0.5, logscale=True)
    with pytest.raises(InvalidArgumentError, match="units"):
        im.show(units="furlong")


def test_explode_grid_titles_and_common_scale() -> None:
    im = make_images((3, 4, 6, 5))
    vis = im.show(explode=True, common_color_scale=True, cbar=True)
    assert vis.axes.shape == (4, 3)  # first exploded axis -> columns, second -> rows
    np.testing.assert_array_equal(vis.artists[2, 1].get_array(), im.array[1, 2].T)
    assert vis.axes[2, 1].get_title() == "Frozen phonons 2 of 3, C10 = 2 Å"
    limits = {vis.artists[index].get_clim() for index in np.ndindex(4, 3)}
    assert limits == {(float(im.array.min()), float(im.array.max()))}
    assert len(vis.colorbars) == 1
    single = im.show(explode=(1,), title="series")
    assert single.axes.shape == (1, 4) and single.axes[0, 2].get_title() == "series"
    np.testing.assert_array_equal(single.artists[0, 2].get_array(), im.array[0, 2].T)  # other axes: member 0
    with pytest.raises(InvalidArgumentError, match="explode"):
        im.show(explode=(0, 0))


def test_complex_images_use_domain_colouring() -> None:
    im = make_images((6, 5), complex_=True)
    rgb = np.asarray(im.show().artists[0, 0].get_array())
    assert rgb.shape == (5, 6, 3)
    np.testing.assert_allclose(rgb, np.swapaxes(domain_coloring(im.array), 0, 1))
    colours = domain_coloring(np.array([1.0, 1j, -1.0, 0.0]))
    assert len({tuple(np.round(c, 3)) for c in colours[:3]}) == 3  # phase -> hue
    assert colours[3].max() == 0.0  # zero amplitude -> black


def test_diffraction_patterns_in_reciprocal_units() -> None:
    d = make_images((2, 6, 5)).diffractograms()
    vis = d.show()
    left, right, bottom, top = vis.artists[0, 0].get_extent()
    assert (left + right) / 2 == pytest.approx(-0.5 * d.sampling[0])  # even n: one extra negative frequency
    assert (bottom + top) / 2 == pytest.approx(0.0)
    assert vis.ax.get_xlabel() == "$k_x$ [1/Å]"
    unshifted = type(d)(np.fft.ifftshift(d.array, axes=(-2, -1)), sampling=d.sampling, fftshift=False,
                        ensemble_axes_metadata=d.ensemble_axes_metadata)
    np.testing.assert_allclose(unshifted.show().artists[0, 0].get_array(), vis.artists[0, 0].get_array())


def test_line_profiles_overlay_members() -> None:
    im = make_images((3, 2, 9, 8))
    lp = im.interpolate_line(end=(0.8, 1.0), gpts=12)
    vis = lp.show()
    lines = vis.artists[0, 0]
    assert len(lines) == 6
    np.testing.assert_allclose(lines[3].get_xdata(), np.arange(12) * lp.sampling)
    np.testing.assert_allclose(lines[3].get_ydata(), lp.array[1, 1])
    assert vis.ax.get_xlabel() == "$r$ [Å]" and vis.ax.get_ylabel() == "intensity [arb. unit]"
    exploded = lp.show(explode=(0,))
    assert exploded.axes.shape == (1, 3) and len(exploded.artists[0, 1]) == 2
    complex_lines = make_images((9, 8), complex_=True).interpolate_line(gpts=5).show().artists[0, 0]
    assert len(complex_lines) == 2  # real and imaginary part


def test_lazy_objects_compute_only_the_shown_members() -> None:
    im = make_images((6, 4, 9, 8))
    lazy = im.lazy(chunks=(1, 1, -1, -1))
    with TaskCounter() as counter:
        vis = lazy.show()
    assert lazy.is_lazy and 0 < counter.count <= 3
    np.testing.assert_array_equal(vis.artists[0, 0].get_array(), im.array[0, 0].T)


def test_ax_argument_and_errors() -> None:
    fig, ax = plt.subplots()
    vis = make_images((5, 4)).show(ax=ax)
    assert vis.ax is ax and vis.fig is fig
    with pytest.raises(InvalidArgumentError, match="single panel"):
        make_images((2, 5, 4)).show(ax=ax, explode=True)
    with pytest.raises(InvalidArgumentError, match="interact"):
        make_images((5, 4)).show(interact=True)
    with pytest.raises(InvalidArgumentError, match="unexpected"):
        make_images((5, 4)).show(colour="red")
    from napari_temimages._core.visualize import show

    with pytest.raises(InvalidTypeError):
        show(object())
