"""poisson_noise and scan_noise (spec §3.10, §6.7)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import Images, NonLinearAxis, SampleAxis
from napari_temimages._core.errors import InvalidArgumentError, InvalidTypeError
from napari_temimages._core.ops.noise import sample_seeds, scan_noise_fields

from .helpers import TaskCounter, make_images
from .parity.goldens import DATA, load_cases
from .test_ops_lines import fixture_images

NOISE_GOLDENS = [c for c in load_cases() if c["method"] in ("poisson_noise", "scan_noise") and c["expect"] == "result"]


@pytest.mark.parametrize("case", NOISE_GOLDENS, ids=[c["id"] for c in NOISE_GOLDENS])
def test_seeded_noise_equals_abtems_goldens(case) -> None:
    """Bit for bit for Poisson; within 1e-5 for scan noise (float64 rounding order)."""
    im = fixture_images(case["fixture_name"])
    golden = np.load(DATA / case["outputs"]["npz"])["array"]
    result = getattr(im, case["method"])(**case["kwargs"])
    assert result.dtype == golden.dtype and result.shape == golden.shape
    if case["method"] == "poisson_noise":
        np.testing.assert_array_equal(result.array, golden)
    else:
        np.testing.assert_allclose(result.array, golden, rtol=1e-5, atol=1e-5 * np.abs(golden).max())


# ---------------------------------------------------------------------------------- Poisson
def test_poisson_expectation_and_seeding_scheme() -> None:
    im = make_images((2, 3, 9, 8))
    out = im.poisson_noise(dose_per_area=500.0, seed=7)
    assert out.dtype == np.float32 and out.shape == im.shape
    assert out.metadata["label"] == "Counts" and out.metadata["units"] == "electrons"
    dose = np.float32(0.1 * 0.2 * 500.0)
    for g in np.ndindex(2, 3):
        rng = np.random.default_rng(np.random.SeedSequence(7, spawn_key=g))
        np.testing.assert_array_equal(out.array[g], rng.poisson(np.maximum(im.array[g] * dose, 0)))


def test_poisson_lazy_equals_eager_for_any_chunking() -> None:
    im = make_images((4, 3, 9, 8))
    eager = im.poisson_noise(total_dose=40.0, samples=3, seed=11)
    for chunks in [(1, 1, -1, -1), (3, 2, -1, -1), (2, 3, 4, 5)]:
        with TaskCounter() as counter:
            lazy = im.lazy(chunks=chunks).poisson_noise(total_dose=40.0, samples=3, seed=11)
        assert counter.count == 0 and lazy.dtype == np.float32
        assert lazy.array.chunks[-2:] == ((9,), (8,))
        np.testing.assert_array_equal(lazy.compute().array, eager.array)


def test_poisson_dose_axes_from_arrays_and_lists() -> None:
    """A list of doses adds the dose axis too (abTEM raises TypeError for lists, D12)."""
    im = make_images((2, 5, 4))
    out = im.poisson_noise(dose_per_area=[10.0, 100.0, 1e3], samples=2, seed=1)
    assert out.shape == (3, 2, 2, 5, 4)
    dose, sample = out.ensemble_axes_metadata[:2]
    assert isinstance(dose, NonLinearAxis) and dose.label == "Dose"
    assert dose.values == (10.0, 100.0, 1000.0) and dose.units == "e/Å²"  # abTEM: per-pixel doses, "e"
    assert isinstance(sample, SampleAxis)
    np.testing.assert_array_equal(out.array, im.poisson_noise(dose_per_area=np.array([10.0, 100.0, 1e3]), samples=2, seed=1).array)
    total = im.poisson_noise(total_dose=(5.0, 50.0), seed=2)
    assert total.ensemble_axes_metadata[0].units == "e" and total.shape == (2, 2, 5, 4)
    means = total.array.mean(axis=(1, 2, 3))
    assert means[1] > 5 * means[0]


def test_poisson_statistics() -> None:
    im = Images(np.full((200, 100), 0.5, dtype=np.float32), sampling=0.1)
    counts = im.poisson_noise(dose_per_area=2000.0, seed=3).array  # 10 electrons per pixel
    assert counts.mean() == pytest.approx(10.0, rel=0.02)
    assert counts.var() == pytest.approx(10.0, rel=0.05)
    assert np.all(counts == np.round(counts))


def test_poisson_clips_negative_values_and_unseeded_calls_differ() -> None:
    im = Images(np.array([[-1.0, 2.0], [0.0, 1.0]], dtype=np.float32), sampling=1.0)
    out = im.poisson_noise(total_dose=1e3)
    assert out.array[0, 0] == 0 and out.array[1, 0] == 0
    big = make_images((3, 20, 20))
    assert not np.array_equal(big.poisson_noise(total_dose=1e3).array, big.poisson_noise(total_dose=1e3).array)


def test_sample_seeds_are_distinct() -> None:
    seeds = sample_seeds(5, 4)
    assert len(set(seeds)) == 4 and seeds == sample_seeds(5, 4)
    assert all(0 <= s < 2**31 - 1 for s in seeds)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(), InvalidArgumentError, "dose_per_area"),
        (dict(dose_per_area=1.0, total_dose=1.0), InvalidArgumentError, "not both"),
        (dict(dose_per_area=0.0), InvalidArgumentError, "> 0"),
        (dict(total_dose=[10.0, -1.0]), InvalidArgumentError, "> 0"),
        (dict(total_dose=np.nan), InvalidArgumentError, "finite"),
        (dict(total_dose="a lot"), InvalidTypeError, "number"),
        (dict(total_dose=[[1.0]]), InvalidArgumentError, "1-D"),
        (dict(total_dose=1.0, samples=0), InvalidArgumentError, ">= 1"),
        (dict(total_dose=1.0, seed=-1), InvalidArgumentError, "seed"),
        (dict(total_dose=1.0, seed=1.5), InvalidArgumentError, "seed"),
    ],
)
def test_poisson_bad_arguments(kwargs, error, match) -> None:
    with pytest.raises(error, match=match) as info:
        make_images((9, 8)).poisson_noise(**kwargs)
    assert isinstance(info.value, RuntimeError)


def test_poisson_refuses_complex_images() -> None:
    with pytest.raises(InvalidTypeError, match="real images"):
        make_images((9, 8), complex_=True).poisson_noise(total_dose=10.0, seed=1)


# ---------------------------------------------------------------------------------- scan noise
def test_scan_noise_field_scale_is_the_fwhm_in_percent() -> None:
    px, py = scan_noise_fields((40, 30), seed=3, dwell_time=1e-5, flyback_time=1e-4, rms_power=2.0,
                               max_frequency=500.0, num_components=50)
    deviation = (1 + np.gradient(px, axis=0)) * (1 + np.gradient(py, axis=1)) - 1
    # rms_power % = 2.355 * 100 * rms(deviation) to first order in the (small) displacements
    assert 235.5 * np.sqrt(np.mean(deviation**2)) == pytest.approx(2.0, rel=0.05)


def test_scan_noise_seeded_adds_a_sample_axis_and_repeats_the_field() -> None:
    im = make_images((3, 2, 16, 12))
    out = im.scan_noise(1e-5, 1e-4, 3.0, num_components=40, seed=5)
    assert out.shape == (1, 3, 2, 16, 12) and isinstance(out.ensemble_axes_metadata[0], SampleAxis)
    assert out.dtype == np.float32 and out.metadata["label"] == "Counts"  # abTEM's label (Q33), kept
    ones = Images(np.ones((3, 16, 12), dtype=np.float32), sampling=0.1)
    ramp = Images(np.broadcast_to(np.arange(16, dtype=np.float32)[:, None], (3, 16, 12)).copy(), sampling=0.1)
    warped = ramp.scan_noise(1e-5, 1e-4, 3.0, num_components=40, seed=5).array[0]
    np.testing.assert_allclose(ones.scan_noise(1e-5, 1e-4, 3.0, seed=5).array, 1.0, rtol=1e-6)
    assert warped.shape == (3, 16, 12)
    np.testing.assert_array_equal(warped[0], warped[2])  # same field for every member (Q34)
    assert not np.allclose(warped[0], ramp.array[0])


def test_scan_noise_rms_axis_lazy_and_unseeded() -> None:
    im = make_images((2, 16, 12))
    eager = im.scan_noise(1e-5, 1e-4, [0.0, 2.0], num_components=30, seed=2)
    assert eager.shape == (2, 1, 2, 16, 12)
    axis = eager.ensemble_axes_metadata[0]
    assert axis.label == "RMS power" and axis.values == (0.0, 2.0)
    undistorted = eager.array[0, 0]
    np.testing.assert_allclose(undistorted[:, :-1, :-1], im.array[:, :-1, :-1], rtol=1e-6)  # zero distortion
    # abTEM wraps positions modulo n - 1 (Q35, kept for parity): the last row/column repeat the first
    np.testing.assert_allclose(undistorted[:, -1, :-1], im.array[:, 0, :-1], rtol=1e-6)
    np.testing.assert_allclose(undistorted[:, :-1, -1], im.array[:, :-1, 0], rtol=1e-6)
    with TaskCounter() as counter:
        lazy = im.lazy(chunks=(1, 6, 6)).scan_noise(1e-5, 1e-4, [0.0, 2.0], num_components=30, seed=2)
    assert counter.count == 0 and lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy.compute().array, eager.array)
    unseeded = im.lazy(chunks=(1, -1, -1)).scan_noise(1e-5, 1e-4, 2.0, num_components=30)
    assert unseeded.shape == im.shape
    first, second = unseeded.compute().array, unseeded.compute().array
    np.testing.assert_array_equal(first, second)  # the graph holds its entropy
    assert not np.allclose(first[0], first[1], atol=1e-3)  # every member its own field


def test_scan_noise_complex_images() -> None:
    im = make_images((10, 9), complex_=True)
    out = im.scan_noise(1e-5, 1e-4, 2.0, seed=1)
    assert out.dtype == np.complex64 and out.shape == (1, 10, 9)
    real = Images(im.array.real.copy(), sampling=im.sampling).scan_noise(1e-5, 1e-4, 2.0, seed=1)
    np.testing.assert_allclose(out.array.real, real.array, rtol=1e-6)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((0.0, 1e-4, 1.0), {}, "dwell_time"),
        ((1e-5, -1.0, 1.0), {}, "flyback_time"),
        ((1e-5, 1e-4, -1.0), {}, "rms_power"),
        ((1e-5, 1e-4, 1.0), dict(max_frequency=0.0), "max_frequency"),
        ((1e-5, 1e-4, 1.0), dict(num_components=0), "num_components"),
        ((1e-5, 1e-4, 1.0), dict(seed=-3), "seed"),
    ],
)
def test_scan_noise_bad_arguments(args, kwargs, match) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_images((9, 8)).scan_noise(*args, **kwargs)
    with pytest.raises(InvalidArgumentError, match="2 x 2"):
        Images(np.ones((1, 8)), sampling=1.0).scan_noise(1e-5, 1e-4, 1.0)
