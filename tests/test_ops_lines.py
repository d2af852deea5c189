"""interpolate_line, interpolate_line_at_position and RealSpaceLineProfiles (spec §3.9, §4.2,
§4.3, §6.4), including abTEM's golden numbers for the cases where we deliberately differ."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from napari_temimages import Images, RealSpaceLineProfiles, ReciprocalSpaceLineProfiles, UnknownAxis
from napari_temimages._core.axes import axis_from_dict
from napari_temimages._core.errors import InvalidArgumentError, InvalidTypeError

from .helpers import TaskCounter, make_images
from .parity.goldens import DATA, load_cases, tolerance_ok


def fixture_images(name: str) -> Images:
    """A golden fixture built from its npz/json (independent of the zarr reader)."""
    side = json.loads((DATA / "goldens" / f"{name}__from_zarr__dir.json").read_text())["result"]
    array = np.load(DATA / "goldens" / f"{name}__from_zarr__dir.npz")["array"]
    axes = [axis_from_dict(a) for a in side["axes"][:-2]]
    return Images(array, sampling=tuple(side["sampling"]), ensemble_axes_metadata=axes, metadata=side["metadata"])


def reference_profile(image: np.ndarray, sampling, start, end, gpts, order=3, endpoint=False, offsets=(0.0,)):
    """§3.9 steps 6-8 written out for one image."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    points = np.linspace(start, end, gpts, endpoint=endpoint).astype(np.float32).astype(float)
    u = (end - start) / np.linalg.norm(end - start)
    normal = np.array([-u[1], u[0]])
    pad = 2 * order
    padded = np.pad(image, pad, mode="wrap")
    lines = []
    for t in offsets:
        pixels = np.mod((points + t * normal) / np.asarray(sampling), image.shape)
        lines.append(ndimage.map_coordinates(padded, (pixels + pad).T, order=order, mode="constant"))
    return np.mean(lines, axis=0)


# ---------------------------------------------------------------------------------- sampling
def test_line_samples_the_spline_at_wrapped_positions() -> None:
    im = make_images((2, 11, 9), sampling=(0.2, 0.3))
    out = im.interpolate_line(start=(-0.5, 0.4), end=(3.1, 4.0), gpts=37, order=3)
    assert isinstance(out, RealSpaceLineProfiles) and out.shape == (2, 37) and out.dtype == np.float32
    assert out.sampling == pytest.approx(np.hypot(3.6, 3.6) / 37)
    for i in range(2):
        expected = reference_profile(im.array[i], im.sampling, (-0.5, 0.4), (3.1, 4.0), 37)
        np.testing.assert_allclose(out.array[i], expected, rtol=1e-6, atol=1e-7)
    # one period away is the same line
    shifted = im.interpolate_line(start=(-0.5 + 2.2, 0.4 - 2.7), end=(3.1 + 2.2, 4.0 - 2.7), gpts=37)
    np.testing.assert_allclose(shifted.array, out.array, rtol=1e-5, atol=1e-6)


def test_defaults_follow_the_golden_default_line() -> None:
    """Default end is (0, L_x) — along y with the x extent — as abTEM's golden records."""
    im = make_images((2, 9, 8))  # extent (0.9, 1.6)
    out = im.interpolate_line()
    assert out.metadata["start"] == (0.0, 0.0) and out.metadata["end"] == (0.0, 0.9)
    assert out.base_shape == (9,) and out.sampling == pytest.approx(0.1)
    frac = im.interpolate_line(fractional=True, gpts=10)
    assert frac.metadata["end"] == (0.0, 1.6)
    for case in load_cases():
        if case["id"] == "plain_aniso_mos2__interpolate_line__defaults":
            result = fixture_images("plain_aniso_mos2").interpolate_line()
            meta = json.loads((DATA / case["outputs"]["json"]).read_text())["result"]["metadata"]
            assert list(result.metadata["end"]) == meta["end"]
            ok, why = tolerance_ok(result.array, np.load(DATA / case["outputs"]["npz"])["array"], case)
            assert ok, why


def test_endpoint_and_sampling() -> None:
    im = make_images((12, 12), sampling=0.25)
    a = im.interpolate_line(start=(0, 0), end=(2.0, 0), sampling=0.5)
    assert a.base_shape == (4,) and a.sampling == 0.5
    b = im.interpolate_line(start=(0, 0), end=(2.0, 0), sampling=0.5, endpoint=True)
    assert b.base_shape == (4,) and b.sampling == pytest.approx(2.0 / 3)
    np.testing.assert_allclose(b.array[-1], im.interpolate_line(start=(2.0, 0), end=(3.0, 0), gpts=2).array[0], rtol=1e-6)


def test_width_averages_parallel_lines() -> None:
    im = make_images((2, 16, 14), sampling=(0.1, 0.15))
    out = im.interpolate_line(start=(0.2, 0.3), end=(1.4, 1.9), gpts=20, width=0.45)
    assert out.metadata["width"] == 0.45
    m = 2 * int(np.floor(0.45 / 0.2)) + 1  # 5 lines spread over m * d_min
    offsets = np.linspace(-m / 2, m / 2, m) * 0.1
    expected = reference_profile(im.array[1], im.sampling, (0.2, 0.3), (1.4, 1.9), 20, offsets=offsets)
    np.testing.assert_allclose(out.array[1], expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("width", [0.05, 0.19])
def test_narrow_width_samples_the_line_itself(width) -> None:
    """width < 2 d_min: one line, not shifted (abTEM shifts it by -d_min/2, Q25)."""
    im = make_images((2, 16, 14), sampling=(0.1, 0.15))
    kwargs = dict(start=(0.2, 0.3), end=(1.4, 1.9), gpts=20)
    np.testing.assert_array_equal(im.interpolate_line(width=width, **kwargs).array, im.interpolate_line(**kwargs).array)


NARROW_GOLDENS = [
    c for c in load_cases()
    if c["method"].startswith("interpolate_line") and c["kwargs"].get("width")
]


@pytest.mark.parametrize("case", NARROW_GOLDENS, ids=[c["id"] for c in NARROW_GOLDENS])
def test_width_goldens(case) -> None:
    """Every golden with a width: with >= 3 lines ours equals abTEM's numbers; with one line
    (width < 2 d_min) ours equals abTEM's numbers for the line shifted by -d_min/2 along the
    normal, i.e. the only difference is abTEM's shift."""
    im = fixture_images(case["fixture_name"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    golden = np.load(DATA / case["outputs"]["npz"])["array"]
    d_min = min(im.sampling)
    result = getattr(im, case["method"])(**kwargs)
    if kwargs["width"] >= 2 * d_min:
        ok, why = tolerance_ok(result.array, golden, case)
        assert ok, why
        return
    start, end = np.array(result.metadata["start"]), np.array(result.metadata["end"])
    u = (end - start) / np.linalg.norm(end - start)
    shift = -d_min / 2 * np.array([-u[1], u[0]])
    grid = dict(gpts=result.base_shape[0], endpoint=kwargs.get("endpoint", case["method"].endswith("position")))
    shifted = im.interpolate_line(start=tuple(start + shift), end=tuple(end + shift), **grid)
    ok, why = tolerance_ok(shifted.array, golden, case)
    assert ok, why
    plain = im.interpolate_line(start=tuple(start), end=tuple(end), **grid)
    np.testing.assert_array_equal(result.array, plain.array)


def test_complex_profiles_with_width_stay_complex_when_lazy() -> None:
    """abTEM's lazy path drops the imaginary part with width > 0; ours equals the eager result."""
    im = make_images((3, 12, 10), complex_=True)
    kwargs = dict(start=(0.1, 0.2), end=(0.9, 1.5), gpts=15, width=0.5)
    with TaskCounter() as counter:
        lazy = im.lazy(chunks=(1, -1, -1)).interpolate_line(**kwargs)
    assert counter.count == 0 and lazy.dtype == np.complex64
    computed = lazy.compute()
    assert computed.dtype == np.complex64 and np.abs(computed.array.imag).max() > 0
    np.testing.assert_array_equal(computed.array, im.interpolate_line(**kwargs).array)


def test_margin_extends_the_line_keeping_at_most_the_step() -> None:
    im = make_images((20, 20), sampling=0.1)
    out = im.interpolate_line(start=(0.5, 0.5), end=(1.5, 0.5), gpts=10, margin=(0.25, 0.35))
    assert out.metadata["start"] == pytest.approx((0.25, 0.5)) and out.metadata["end"] == pytest.approx((1.85, 0.5))
    # two steps as abTEM: ceil(1.25 / 0.1) = 13 points, then ceil(1.6 / (1.25 / 13)) = 17
    assert out.base_shape == (17,) and out.sampling == pytest.approx(1.6 / 17)
    plain = im.interpolate_line(start=(0.25, 0.5), end=(1.85, 0.5), gpts=17)
    np.testing.assert_array_equal(out.array, plain.array)
    # endpoint=True: abTEM loses one point per margin step; ours keeps the step
    ep = im.interpolate_line(start=(0.5, 0.5), end=(1.5, 0.5), gpts=11, endpoint=True, margin=(0.25, 0.35))
    assert ep.base_shape == (18,) and ep.sampling == pytest.approx(1.6 / 17)
    zero = im.interpolate_line(start=(0.5, 0.5), end=(1.5, 0.5), gpts=11, endpoint=True, margin=(0.0, 0.0))
    assert zero.base_shape == (11,)  # abTEM: 9


def test_line_at_position_is_a_centred_line() -> None:
    im = make_images((2, 14, 12), sampling=(0.1, 0.15))
    out = im.interpolate_line_at_position(center=(0.7, 0.9), angle=30.0, extent=1.0, gpts=9)
    direction = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(out.metadata["start"], np.array([0.7, 0.9]) - 0.5 * direction)
    np.testing.assert_allclose(out.metadata["end"], np.array([0.7, 0.9]) + 0.5 * direction)
    assert out.sampling == pytest.approx(1.0 / 8)  # endpoint=True by default
    same = im.interpolate_line(start=out.metadata["start"], end=out.metadata["end"], gpts=9, endpoint=True)
    np.testing.assert_array_equal(out.array, same.array)


def test_atoms_as_points() -> None:
    from ase import Atom

    im = make_images((12, 12), sampling=0.1)
    a = im.interpolate_line(start=Atom("C", (0.1, 0.2, 5.0)), end=Atom("O", (0.9, 0.7, 0.0)), gpts=8)
    b = im.interpolate_line(start=(0.1, 0.2), end=(0.9, 0.7), gpts=8)
    np.testing.assert_array_equal(a.array, b.array)
    c = im.interpolate_line_at_position(Atom("C", (0.5, 0.5, 0.0)), angle=0.0, extent=0.6, gpts=7)
    np.testing.assert_allclose(c.metadata["start"], (0.2, 0.5))
    with pytest.raises(InvalidArgumentError, match="fractional"):
        im.interpolate_line(start=Atom("C", (0.1, 0.2, 0.0)), fractional=True)


def test_metadata_labels_and_axes() -> None:
    im = make_images((3, 2, 9, 8))
    out = im.interpolate_line(start=(0, 0), end=(0.5, 0.5), gpts=5)
    assert out.metadata["label"] == "intensity" and out.metadata["units"] == "arb. unit"
    assert "width" not in out.metadata and out.metadata["energy"] == im.metadata["energy"]
    assert out.ensemble_axes_metadata == im.ensemble_axes_metadata
    assert out.ensemble_axes_metadata is not im.ensemble_axes_metadata
    r = out.base_axes_metadata[0]
    assert r.label == "r" and r.units == "Å" and r.sampling == out.sampling


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(start=(0.3, 0.3), end=(0.3, 0.3)), "zero length"),
        (dict(end=(1, 1), gpts=5, sampling=0.1), "not both"),
        (dict(end=(1, 1), sampling=0.0), "positive"),
        (dict(end=(1, 1), gpts=0), ">= 1"),
        (dict(end=(1, 1), width=-1.0), "width"),
        (dict(end=(1, 1), margin=(1, 2, 3)), "margin"),
        (dict(end=(1, 1), margin=-0.1), "margin"),
        (dict(end=(1, 1), order=7), "order"),
        (dict(end=(1, 2, 3)), "two values"),
    ],
)
def test_bad_line_arguments(kwargs, match) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_images((9, 8)).interpolate_line(**kwargs)


def test_bad_line_at_position_arguments() -> None:
    im = make_images((9, 8))
    with pytest.raises(InvalidArgumentError, match="extent"):
        im.interpolate_line_at_position((0.1, 0.1), 0.0, 0.0)
    with pytest.raises(InvalidArgumentError, match="angle"):
        im.interpolate_line_at_position((0.1, 0.1), "north", 1.0)


def test_lazy_lines_with_split_images() -> None:
    im = make_images((3, 2, 12, 10))
    with TaskCounter() as counter:
        out = im.lazy(chunks=(1, 1, 5, 5)).interpolate_line(end=(1.0, 1.2), gpts=11, width=0.3)
    assert counter.count == 0 and out.array.chunks == ((1, 1, 1), (1, 1), (11,))
    np.testing.assert_array_equal(out.compute().array, im.interpolate_line(end=(1.0, 1.2), gpts=11, width=0.3).array)


# ---------------------------------------------------------------------------------- profile objects
def sine_profiles(n=16, sampling=0.25) -> RealSpaceLineProfiles:
    r = np.arange(n) / n
    array = np.stack([np.sin(2 * np.pi * r), np.cos(2 * np.pi * 2 * r)]).astype(np.float64)
    return RealSpaceLineProfiles(array, sampling=sampling, ensemble_axes_metadata=[UnknownAxis()], metadata={"label": "x"})


def test_profile_interpolate_is_an_exact_periodic_spline() -> None:
    """abTEM pads 3 samples and uses constant mode; ours is the exact periodic (grid-wrap) spline."""
    lp = sine_profiles()
    up = lp.interpolate(gpts=64)
    assert up.shape == (2, 64) and up.sampling == pytest.approx(4.0 / 64) and up.metadata == lp.metadata
    r = np.arange(64) / 64
    np.testing.assert_allclose(up.array[0], np.sin(2 * np.pi * r), atol=2e-3)
    np.testing.assert_allclose(up.array[1], np.cos(2 * np.pi * 2 * r), atol=2e-2)
    expected = ndimage.map_coordinates(lp.array[0], np.linspace(0, 16, 64, endpoint=False)[None], order=3, mode="grid-wrap")
    np.testing.assert_allclose(up.array[0], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(up.array[:, ::4], lp.array, atol=1e-15)
    assert lp.interpolate(sampling=0.1).base_shape == (40,)


def test_profile_interpolate_endpoint_reports_the_true_step() -> None:
    lp = sine_profiles()
    ep = lp.interpolate(gpts=17, endpoint=True)
    assert ep.sampling == pytest.approx(4.0 / 16)  # abTEM reports extent / gpts
    np.testing.assert_allclose(ep.array[:, -1], ep.array[:, 0], atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="not both"):
        lp.interpolate(sampling=0.1, gpts=3)
    with pytest.raises(InvalidArgumentError, match="sampling"):
        lp.interpolate()


def test_profile_tile_and_width() -> None:
    lp = sine_profiles()
    tiled = lp.tile(3)
    np.testing.assert_array_equal(tiled.array, np.tile(lp.array, (1, 3)))
    with pytest.raises(InvalidTypeError):
        lp.tile((2,))
    x = np.linspace(-5, 5, 101)
    gauss = RealSpaceLineProfiles(np.stack([np.exp(-x**2 / 2), 3 * np.exp(-x**2 / 8)]), sampling=0.1,
                                  ensemble_axes_metadata=[UnknownAxis()])
    fwhm = 2 * np.sqrt(2 * np.log(2))
    np.testing.assert_allclose(gauss.width(), [fwhm, 2 * fwhm], rtol=2e-3)  # abTEM: whole samples, 2.3 / 4.7
    np.testing.assert_allclose(gauss.width(height=0.25), [2 * np.sqrt(2 * np.log(4)), 4 * np.sqrt(2 * np.log(4))], rtol=2e-3)
    np.testing.assert_allclose(gauss.lazy().width().compute(), gauss.width())
    flat = RealSpaceLineProfiles(np.ones(10) + 1.0, sampling=1.0)
    assert np.isnan(flat.width())  # abTEM raises IndexError
    with pytest.raises(InvalidArgumentError):
        gauss.width(height=1.5)


def test_reciprocal_profiles_angular_extent() -> None:
    lp = ReciprocalSpaceLineProfiles(np.ones(20), sampling=0.05, metadata={"energy": 200e3})
    assert lp.angular_extent == pytest.approx(1.0 * 0.025079 * 1e3, rel=1e-4)
    with pytest.raises(InvalidArgumentError, match="energy"):
        ReciprocalSpaceLineProfiles(np.ones(20), sampling=0.05).angular_extent
