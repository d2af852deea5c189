"""Every image operation on dask data builds a graph and computes nothing; ensemble axes keep
their chunks, images are never split, the declared dtype is the computed one (abTEM: §8.1, Q9)
and the result equals the eager one."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import TaskCounter, make_images

OPS = {
    "crop": lambda im: im.crop((0.5, 0.8), offset=(0.1, 0.2)),
    "tile": lambda im: im.tile((2, 1)),
    "interpolate_fft": lambda im: im.interpolate(gpts=(7, 11)),
    "interpolate_spline": lambda im: im.interpolate(sampling=0.07, method="spline", boundary="reflect"),
    "gaussian_filter": lambda im: im.gaussian_filter((0.1, 0.3), boundary="constant", cval=1.0),
    "diffractograms": lambda im: im.diffractograms(),
    "interpolate_line": lambda im: im.interpolate_line(start=(0.1, 0.1), end=(1.5, 2.0), sampling=0.05, width=0.25),
    "interpolate_line_at_position": lambda im: im.interpolate_line_at_position((0.4, 0.6), 60.0, 0.8, gpts=9),
    "poisson_noise": lambda im: im.poisson_noise(dose_per_area=[100.0, 1e4], samples=2, seed=3),
    "scan_noise": lambda im: im.scan_noise(1e-5, 1e-4, [1.0, 3.0], num_components=20, seed=4),
}
COMPLEX_OPS = {
    "integrate_gradient": lambda im: im.integrate_gradient(),
    "interpolate_fft": OPS["interpolate_fft"],
    "gaussian_filter": OPS["gaussian_filter"],
    "diffractograms": OPS["diffractograms"],
    "interpolate_line": OPS["interpolate_line"],
}


def _check(make, op) -> None:
    eager_input = make()
    lazy_input = eager_input.lazy(chunks=(1, 2, 5, 4))  # ensemble chunked, images split
    with TaskCounter() as counter:
        lazy = op(lazy_input)
    assert counter.count == 0, "a lazy operation computed something"
    assert lazy.is_lazy
    chunks = lazy.array.chunks
    assert chunks[lazy.ensemble_dims - 2 : lazy.ensemble_dims] == ((1, 1, 1), (2, 2)), "ensemble chunks changed"
    assert all(len(c) == 1 for c in chunks[lazy.ensemble_dims :]), "base axes split"
    declared = lazy.dtype
    computed = lazy.compute()
    assert computed.dtype == declared
    expected = op(eager_input)
    assert type(computed) is type(expected) and computed.shape == expected.shape
    assert computed.dtype == expected.dtype
    np.testing.assert_allclose(computed.array, expected.array, rtol=1e-6, atol=1e-6)
    assert computed.axes_metadata == expected.axes_metadata
    assert computed.metadata == expected.metadata


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_real_op_is_lazy(name, dtype) -> None:
    _check(lambda: make_images((3, 4, 10, 12), dtype=dtype), OPS[name])


@pytest.mark.parametrize("name", sorted(COMPLEX_OPS))
def test_complex_op_is_lazy(name) -> None:
    _check(lambda: make_images((3, 4, 10, 12), complex_=True), COMPLEX_OPS[name])


@pytest.mark.parametrize("name", ["interpolate_fft", "gaussian_filter", "diffractograms", "interpolate_line"])
def test_float32_stays_float32(name) -> None:
    assert OPS[name](make_images((2, 10, 12))).dtype == np.float32
