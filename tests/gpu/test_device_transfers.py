"""``to_gpu``/``to_cpu``/``copy_to_device``/``device`` on Images and every type it returns;
constructors with device arrays; mixing host and device operands."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import DiffractionPatterns, Images, MeasurementsEnsemble, RealSpaceLineProfiles
from napari_temimages._core import backend

from . import fake_device
from .fake_device import FakeDeviceArray
from .operations import INPUTS, real_images

KINDS = ["images", "images_c", "dp", "lp", "rp", "me"]


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_for_every_type(kind, fake_gpu) -> None:
    cpu = INPUTS[kind]()
    gpu = cpu.to_gpu()
    assert type(gpu) is type(cpu) and gpu.device == "gpu" and cpu.device == "cpu"
    assert isinstance(gpu.array, FakeDeviceArray) and gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    assert gpu.axes_metadata == cpu.axes_metadata and gpu.metadata == cpu.metadata
    assert gpu.metadata is not cpu.metadata
    assert "on gpu" in repr(gpu)
    fake_gpu.reset()
    assert gpu.to_gpu().array is gpu.array and gpu.copy_to_device("cuda").array is gpu.array  # shares, as abTEM
    assert not fake_gpu.leaks
    back = gpu.to_cpu()
    assert type(back.array) is np.ndarray and back.device == "cpu" and len(fake_gpu.to_host) == 1
    np.testing.assert_array_equal(back.array, cpu.array)
    assert cpu.to_cpu().array is cpu.array and cpu.copy_to_device("numpy").array is cpu.array
    assert gpu.copy_to_device("cpu").device == "cpu"


@pytest.mark.parametrize("kind", ["images", "dp", "lp", "me"])
def test_lazy_round_trip_stays_lazy(kind, fake_gpu) -> None:
    cpu = INPUTS[kind]().lazy((1, 2) + (-1,) * (INPUTS[kind]().ndim - 2))
    gpu = cpu.to_gpu()
    assert gpu.is_lazy and gpu.device == "gpu" and isinstance(gpu.array._meta, FakeDeviceArray)
    assert fake_gpu.uploads == 0 and not fake_gpu.leaks  # nothing moves until compute
    back = gpu.to_cpu()
    assert back.is_lazy and back.device == "cpu" and not fake_gpu.leaks
    computed = back.compute()
    blocks = gpu.array.npartitions
    assert type(computed.array) is np.ndarray and len(fake_gpu.to_host) == blocks and fake_gpu.uploads == blocks
    np.testing.assert_array_equal(computed.array, cpu.compute().array)
    on_device = gpu.compute()
    assert isinstance(on_device.array, FakeDeviceArray) and not on_device.is_lazy


def test_constructors_take_device_arrays(fake_gpu) -> None:
    im = real_images()
    array = backend.to_device(im.array, "gpu")
    for obj in (
        Images(array, im.sampling, im.ensemble_axes_metadata, im.metadata),
        Images.from_array_and_metadata(array, im.axes_metadata, im.metadata),
        DiffractionPatterns(array, (0.5, 0.5), fftshift=True),
        DiffractionPatterns.from_array_and_metadata(array, im.diffractograms().axes_metadata),
        RealSpaceLineProfiles(array[..., 0], 0.1),
        MeasurementsEnsemble(array),
    ):
        assert obj.device == "gpu" and isinstance(obj.array, FakeDeviceArray)
    assert Images(array, 0.1).array is array  # by reference, no copy
    assert isinstance(Images(array, 0.1).coordinates[0], np.ndarray)  # coordinates: numpy, as abTEM
    gpu = Images(array, im.sampling)
    with pytest.raises(ValueError, match="lazy"):
        gpu.array = gpu.lazy().array
    gpu.array = array * 2  # same shape, dtype and laziness: allowed
    assert gpu.device == "gpu" and not fake_gpu.leaks


def test_cpu_operand_is_uploaded_to_the_gpu_object(fake_gpu) -> None:
    gpu, cpu = real_images().to_gpu(), real_images()
    fake_gpu.reset()
    for result in (gpu + cpu, gpu * cpu.array, gpu - cpu.array[0], gpu.lazy() + cpu.array):
        assert result.device == "gpu"
    assert not fake_gpu.leaks and fake_gpu.uploads == 4


def test_gpu_operand_of_a_cpu_object_keeps_the_result_on_the_gpu(fake_gpu) -> None:
    gpu, cpu = real_images().to_gpu(), real_images()
    fake_gpu.reset()
    result = cpu + gpu
    assert result.device == "gpu" and not fake_gpu.leaks


def test_relative_difference_of_mixed_devices(fake_gpu) -> None:
    gpu, cpu = real_images().to_gpu(), real_images()
    assert gpu.relative_difference(cpu).device == "gpu"


@pytest.mark.parametrize("left, right", [("cpu_lazy", "gpu"), ("gpu_lazy", "cpu_lazy"), ("cpu", "gpu_lazy")])
def test_mixed_lazy_operands_end_on_the_gpu(left, right, fake_gpu) -> None:
    make = {
        "cpu": lambda: real_images(),
        "gpu": lambda: real_images().to_gpu(),
        "cpu_lazy": lambda: real_images().lazy((1, 2, -1, -1)),
        "gpu_lazy": lambda: real_images().lazy((1, 2, -1, -1)).to_gpu(),
    }
    a, b = make[left](), make[right]()
    fake_gpu.reset()
    for result in (a + b, a.relative_difference(b, 0.1)):
        assert result.device == "gpu" and result.is_lazy
        computed = result.compute()
        assert isinstance(computed.array, FakeDeviceArray)
        expected = (real_images() + real_images()) if result.metadata.get("units") != "%" else \
            real_images().relative_difference(real_images(), 0.1)
        np.testing.assert_allclose(fake_device.host_copy(computed.array), expected.array, equal_nan=True)
    assert not fake_gpu.leaks


def test_equality_compares_on_the_host(fake_gpu) -> None:
    """``==`` is a documented host boundary (it compares values with numpy.allclose)."""
    gpu = real_images().to_gpu()
    fake_gpu.reset()
    assert gpu == real_images() and gpu == gpu.lazy() and not (gpu == gpu * 2)
    assert fake_gpu.to_host  # the comparison copied to the host


def test_to_gpu_with_a_device_index(fake_gpu) -> None:
    im = real_images()
    assert im.to_gpu("cuda:0").device == "gpu" and im.lazy().to_gpu("gpu:0").compute().device == "gpu"
    with pytest.raises(RuntimeError, match="device 1"):
        im.to_gpu("cuda:1")
    with pytest.raises(ValueError, match="unknown device"):
        im.to_gpu("tpu")
    assert fake_device.installed()
