"""The host boundary: the zarr and TIFF writers, ``to_data_array``, ``show`` and the napari layer
conversion take device data (eager or lazy) and move it to the host there, and only there.

Each boundary gets a GPU object (the strict fake device), must produce the same host artefact as
from the CPU object, must actually copy device data to the host (else the artefact could not be
numpy), and must leave the GPU object on the device.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from napari_temimages._core import backend  # noqa: E402

from .operations import INPUTS  # noqa: E402


def _hyperspy(obj, tmp_path):
    data = obj.to_hyperspy().data
    return data.compute() if hasattr(data, "compute") else data


def _show(obj, tmp_path):
    vis = obj.show()
    data = np.asarray(vis.artists.flat[0].get_array()) if obj.base_dims == 2 else vis.ax.lines[0].get_ydata()
    plt.close("all")
    return data


def _layer(obj, tmp_path):
    from napari_temimages.layer_data import to_layer_data

    data, meta, kind = to_layer_data(obj)[0]
    assert kind == "image"
    if backend.is_lazy(data):
        assert type(data._meta) is np.ndarray, "a lazy layer must have host (numpy) chunks"
        data = data.compute()
    assert type(data) is np.ndarray
    return data


def _zarr(obj, tmp_path):
    from napari_temimages import from_zarr

    path = obj.to_zarr(str(tmp_path / "out.zarr"))
    back = from_zarr(path).compute()
    assert type(back.array) is np.ndarray
    return back.array


def _tiff(obj, tmp_path):
    import tifffile

    obj.to_tiff(str(tmp_path / "out.tif"))
    return tifffile.imread(str(tmp_path / "out.tif"))


def _data_array(obj, tmp_path):
    da = obj.to_data_array()
    values = da.values  # computes a lazy DataArray
    assert type(values) is np.ndarray
    return values



BOUNDARIES = [
    pytest.param("show", "images", _show, id="show-images"),
    pytest.param("show", "dp", _show, id="show-dp"),
    pytest.param("show", "lp", _show, id="show-profiles"),
    pytest.param("layer", "images", _layer, id="napari-layer-images"),
    pytest.param("layer", "dp", _layer, id="napari-layer-dp"),
    pytest.param("zarr", "images", _zarr, id="to_zarr-images"),
    pytest.param("zarr", "lp", _zarr, id="to_zarr-profiles"),
    pytest.param("tiff", "images", _tiff, id="to_tiff-images"),
    pytest.param("xarray", "images", _data_array, id="to_data_array-images"),
    pytest.param("xarray", "dp", _data_array, id="to_data_array-dp"),
    pytest.param("hyperspy", "images", _hyperspy, id="to_hyperspy-images"),
]


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
@pytest.mark.parametrize("name, kind, boundary", BOUNDARIES)
def test_boundary_moves_data_to_the_host(name, kind, boundary, lazy, fake_gpu, tmp_path) -> None:
    cpu = INPUTS[kind]()
    if lazy:
        cpu = cpu.lazy((1, 2) + (-1,) * (cpu.ndim - 2))
    (tmp_path / "cpu").mkdir()
    (tmp_path / "gpu").mkdir()
    expected = boundary(cpu, tmp_path / "cpu")
    gpu = cpu.to_gpu()
    fake_gpu.reset()
    got = boundary(gpu, tmp_path / "gpu")
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, expected)
    assert fake_gpu.to_host, f"{name}: the host copy was not made through the device's asnumpy"
    assert gpu.device == "gpu" and gpu.is_lazy == lazy
