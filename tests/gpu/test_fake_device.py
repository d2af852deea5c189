"""The fake device is as strict as CuPy where it matters (otherwise its passes prove nothing)."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_temimages._core import backend

from . import fake_device
from .cupy_api import CUPY_NDARRAY_MEMBERS, CUPY_NAMES
from .fake_device import FakeDeviceArray, fake_ndimage, fake_scipy_fft, fakecp


@pytest.fixture
def x(fake_gpu) -> FakeDeviceArray:
    return fakecp.asarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))


def test_implicit_conversion_to_numpy_is_refused(x) -> None:
    for convert in (np.asarray, np.array, np.ascontiguousarray, lambda a: np.float32(1) * np.ones(3) + a):
        with pytest.raises(TypeError):
            convert(x)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(x)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)


def test_mixing_with_host_arrays_is_refused(x) -> None:
    host = np.ones((2, 3, 4), dtype=np.float32)
    for mix in (
        lambda: x + host,
        lambda: host * x,
        lambda: np.add(x, host),
        lambda: np.where(x > 1, x, host),
        lambda: np.concatenate([x, host]),
        lambda: fakecp.maximum(host, 1),
        lambda: fake_ndimage.gaussian_filter(host, 1.0),
        lambda: fake_scipy_fft.fft2(host),
    ):
        with pytest.raises(TypeError):
            mix()


def test_numpy_functions_and_ufuncs_dispatch_to_the_device(x) -> None:
    for result in (np.abs(x), np.where(x > 2, x, 0), np.mean(x, axis=0), x.sum(), np.angle(x + 1j),
                   np.fft.fftshift(x), np.tile(x, 2), np.pad(x, 1, mode="wrap"), x.real, x[0, 1:, ::2],
                   np.take(x, [0, 2], axis=-1), x * np.float32(2), -x, x.T, x[0] @ x[0].T):
        assert isinstance(result, FakeDeviceArray)
    assert isinstance(np.max(x), FakeDeviceArray) and np.max(x).ndim == 0  # reductions stay on the device
    assert np.result_type(x, np.float64) == np.float64 and np.ndim(x) == 3 and x.shape == (2, 3, 4)


def test_only_what_cupy_offers(x) -> None:
    for missing in ("errstate", "seterr", "nanquantile", "geomspace", "frompyfunc"):
        assert missing not in CUPY_NAMES
        with pytest.raises(AttributeError):
            getattr(fakecp, missing)
    with pytest.raises(TypeError, match="workers"):
        fake_scipy_fft.fft2(x, workers=2)  # cupyx.scipy.fft has no workers
    with pytest.raises(TypeError, match="unexpected keyword"):
        fake_ndimage.map_coordinates(x[0], fakecp.zeros((2, 3)), order=1, output_shape=(3,))
    with pytest.raises(TypeError, match="dtype"):
        FakeDeviceArray(np.array(["a"]))
    public = {n for n in dir(FakeDeviceArray) if not n.startswith("_")}
    assert public <= CUPY_NDARRAY_MEMBERS, public - CUPY_NDARRAY_MEMBERS
    assert CUPY_NDARRAY_MEMBERS - public == fake_device._MISSING_MEMBERS


def test_transfers_and_syncs_are_logged(x, fake_gpu) -> None:
    fake_gpu.reset()
    out = fakecp.asnumpy(x)
    assert type(out) is np.ndarray and [t.kind for t in fake_gpu.to_host] == ["asnumpy"]
    assert fake_gpu.to_host[0].nbytes == x.nbytes and "test_fake_device.py" in fake_gpu.to_host[0].where
    x.get()
    float(x[0, 0, 0]), int(x[0, 0, 1]), x[0, 0, 2].item(), x[0].tolist(), bool(x[1, 1, 1] > 0)
    assert [t.kind for t in fake_gpu.syncs] == ["float", "int", "item", "tolist", "bool"]
    assert len(fake_gpu.to_host) == 2 and fake_gpu.uploads == 0
    fakecp.asarray(np.zeros(3))
    x[0, 0] = np.ones(4, dtype=np.float32)  # host -> device upload, allowed
    assert fake_gpu.uploads == 2
    fake_gpu.reset()
    assert fake_gpu.describe() == "no device -> host transfer"


def test_random_generators_run_on_the_device_with_their_own_stream(fake_gpu) -> None:
    g = fakecp.random.default_rng(np.random.SeedSequence(5, spawn_key=(1, 2)))
    draws = g.poisson(fakecp.full((3, 4), 20.0))
    assert isinstance(draws, FakeDeviceArray)
    again = fakecp.random.default_rng(np.random.SeedSequence(5, spawn_key=(1, 2))).poisson(fakecp.full((3, 4), 20.0))
    np.testing.assert_array_equal(fake_device.host_copy(draws), fake_device.host_copy(again))
    numpy_draws = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(1, 2))).poisson(np.full((3, 4), 20.0))
    assert not np.array_equal(fake_device.host_copy(draws), numpy_draws)  # a GPU generator is not numpy's
    with pytest.raises(TypeError):
        g.poisson(np.full(3, 2.0))
    assert isinstance(fakecp.random.RandomState(3).rand(4), FakeDeviceArray)
    assert not hasattr(fakecp.random, "SeedSequence")


def test_dask_with_device_chunks(x, fake_gpu) -> None:
    lazy = backend.make_lazy(x, (1, -1, 2))
    assert isinstance(lazy._meta, FakeDeviceArray) and backend.device_of(lazy) == "gpu"
    for result in (lazy.mean(axis=0), da.std(lazy, axis=(0, 1)), lazy * lazy + 1, lazy[:, [0, 2]],
                   lazy * fakecp.ones(4, dtype=np.float32), lazy.rechunk((2, 1, 4)).sum(axis=1)):
        assert isinstance(result._meta, FakeDeviceArray), result
        assert isinstance(result.compute(), FakeDeviceArray)
    assert not fake_gpu.leaks
    mixed = lazy * np.ones(4, dtype=np.float32)  # dask uploads nothing: host chunks meet device chunks
    with pytest.raises(TypeError, match="Unsupported type"):
        mixed.compute()
