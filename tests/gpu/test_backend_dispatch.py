"""The dispatch module: backends of eager and lazy arrays, transfers, reductions, random
generators and the host boundary, on numpy and on the fake device."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_temimages import InvalidArgumentError
from napari_temimages._core import backend as B

from . import fake_device
from .fake_device import FakeDeviceArray, fakecp

HOST = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5) % 7


@pytest.fixture
def dev(fake_gpu) -> FakeDeviceArray:
    return B.to_device(HOST, "gpu")


def test_backend_of_eager_and_lazy_arrays(dev) -> None:
    assert B.get_backend(HOST) is B.NUMPY and B.get_backend(dev) is fake_device.FAKE_BACKEND
    assert B.get_backend(da.from_array(HOST)) is B.NUMPY
    assert B.get_backend(B.make_lazy(dev, (1, 3, -1, -1))) is fake_device.FAKE_BACKEND
    assert B.device_of(dev) == "gpu" and B.device_of(HOST) == "cpu" and B.device_of(np.float32(1)) == "cpu"
    assert B.get_backend_for_device("cuda") is fake_device.FAKE_BACKEND
    assert B.get_backend_for_device("CPU") is B.NUMPY and B.get_backend_for_device("numpy") is B.NUMPY
    backend = B.get_backend(dev)
    assert backend.fft() is fake_device.fake_scipy_fft and backend.ndimage() is fake_device.fake_ndimage
    assert backend.fft_kwargs() == {} and B.NUMPY.fft_kwargs()["workers"] >= 1
    assert isinstance(backend.empty_meta(3, np.complex64), FakeDeviceArray)
    backend.synchronize()
    B.NUMPY.synchronize()


@pytest.mark.parametrize(
    "name, expected",
    [("cpu", ("cpu", None)), ("NumPy", ("cpu", None)), ("gpu", ("gpu", None)), ("cupy", ("gpu", None)),
     ("cuda:1", ("gpu", 1)), ("gpu:0", ("gpu", 0)), (" CUDA ", ("gpu", None))],
)
def test_device_names(name, expected) -> None:
    assert (B.normalize_device(name), B.device_index(name)) == expected


@pytest.mark.parametrize("name", ["tpu", "cpu:1", "cuda:x", "", 3, None])
def test_bad_device_names(name) -> None:
    with pytest.raises(InvalidArgumentError, match="device"):
        B.normalize_device(name)


def test_eager_transfers(dev, fake_gpu) -> None:
    assert isinstance(dev, FakeDeviceArray) and fake_gpu.uploads == 1
    assert B.to_device(dev, "gpu") is dev and B.to_device(HOST, "cpu") is HOST and B.to_host(HOST) is HOST
    fake_gpu.reset()
    back = B.to_host(dev)
    assert type(back) is np.ndarray and np.array_equal(back, HOST) and len(fake_gpu.to_host) == 1
    fake_gpu.reset()
    again = B.to_device(dev, "cuda:0")  # an explicit device: a device-side copy, no host round trip
    assert isinstance(again, FakeDeviceArray) and not fake_gpu.leaks
    with pytest.raises(RuntimeError, match="device 1"):
        B.to_device(HOST, "cuda:1")  # the fake has one device; cuda:N selects device N


def test_lazy_transfers_are_per_block_and_lazy(fake_gpu) -> None:
    lazy = da.from_array(HOST, chunks=(1, 3, -1, -1))
    on_gpu = B.to_device(lazy, "gpu")
    assert B.is_lazy(on_gpu) and isinstance(on_gpu._meta, FakeDeviceArray) and fake_gpu.uploads == 0
    back = B.to_host(on_gpu)
    assert B.is_lazy(back) and type(back._meta) is np.ndarray and not fake_gpu.leaks
    assert np.array_equal(back.compute(), HOST)
    assert len(fake_gpu.to_host) == 2 and fake_gpu.uploads == 2  # one per block each way


@pytest.mark.parametrize("name", ["mean", "sum", "std", "min", "max", "median", "var"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_stay_on_the_device(dev, fake_gpu, name, keepdims) -> None:
    for axis in [(0, 1), (2, 3), 1, None]:
        expected = getattr(np, name)(HOST, axis=axis, keepdims=keepdims)
        eager = B.reduce(dev, name, axis=axis, keepdims=keepdims)
        lazy = B.reduce(B.make_lazy(dev, (1, 2, 2, -1)), name, axis=axis, keepdims=keepdims, split_every=2)
        assert isinstance(eager, FakeDeviceArray) and isinstance(lazy._meta, FakeDeviceArray)
        assert lazy.dtype == expected.dtype and lazy.shape == np.shape(expected)
        for got in (eager, lazy.compute()):
            assert isinstance(got, FakeDeviceArray)
            np.testing.assert_allclose(fake_device.host_copy(got), expected, rtol=1e-6)
    assert not fake_gpu.leaks
    with pytest.raises(InvalidArgumentError, match="unknown reduction"):
        B.reduce(dev, "ptp", axis=0)


def test_make_lazy_and_compute_arrays(dev, fake_gpu) -> None:
    lazy = B.make_lazy(dev, (2, 1, -1, -1))
    assert lazy.chunks[1] == (1, 1, 1) and isinstance(lazy._meta, FakeDeviceArray)
    assert B.make_lazy(lazy, (1, 3, -1, -1)).chunks[0] == (1, 1)
    a, b, c = B.compute_arrays(lazy, dev, lazy + 1)
    assert all(isinstance(v, FakeDeviceArray) for v in (a, b, c)) and b is dev and not fake_gpu.leaks


def test_default_rng_follows_the_data(dev, fake_gpu) -> None:
    seed = np.random.SeedSequence(11, spawn_key=(0, 1))
    cpu = B.default_rng(HOST, seed).poisson(5.0, 4)
    np.testing.assert_array_equal(cpu, np.random.default_rng(np.random.SeedSequence(11, spawn_key=(0, 1))).poisson(5.0, 4))
    assert isinstance(B.default_rng(dev, 3).random(4), FakeDeviceArray)
    assert isinstance(B.default_rng(B.make_lazy(dev, (1, 1, -1, -1)), 3).random(2), FakeDeviceArray)
    assert isinstance(B.default_rng("gpu", 3).poisson(dev), FakeDeviceArray)
    assert type(B.default_rng("cpu", 3).random(2)) is np.ndarray
    assert B.NUMPY.random() is np.random and not fake_gpu.leaks


def test_host_boundary_helpers(dev, fake_gpu) -> None:
    fake_gpu.reset()
    out = B.to_numpy(dev)
    assert type(out) is np.ndarray and np.array_equal(out, HOST) and len(fake_gpu.to_host) == 1
    out = B.to_numpy(B.make_lazy(dev, (1, 3, -1, -1)))
    assert type(out) is np.ndarray and np.array_equal(out, HOST) and len(fake_gpu.to_host) == 3
    assert B.to_numpy(HOST) is HOST
    assert B.host_scalar(B.reduce(dev, "max", axis=None)) == 6.0 and fake_gpu.to_host[-1].nbytes == 4
    assert B.host_scalar(B.reduce(B.make_lazy(dev, (1, 3, -1, -1)), "sum", axis=None)) == HOST.sum()
    assert B.host_scalar(2.5) == 2.5 and B.host_scalar(np.float32(3)) == 3.0
    assert isinstance(B.to_numpy(fakecp.float32(2) * dev[0, 0, 0, 0]), np.ndarray)
