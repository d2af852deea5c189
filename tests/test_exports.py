"""Exports: xarray DataArray exactly as abTEM builds it (goldens), HyperSpy with the right axes."""

from __future__ import annotations

import hashlib
import json
import sys
import warnings

import dask.array as da
import numpy as np
import pytest

from napari_temimages import (
    AxisMetadata,
    DiffractionPatterns,
    FrozenPhononsAxis,
    Images,
    ParameterAxis,
    SampleAxis,
    TiltAxis,
    UnknownAxis,
    from_zarr,
)
from napari_temimages._core.exports import hyperspy_axes, hyperspy_metadata

from .helpers import make_images
from .test_files_support import FIXTURES, GOLDENS

DATA_ARRAY_CASES = sorted(p.name.split("__")[0] for p in GOLDENS.glob("*__to_data_array.json"))


# ------------------------------------------------------------------------------ xarray
@pytest.mark.parametrize("name", DATA_ARRAY_CASES)
def test_to_data_array_matches_the_golden(name) -> None:
    golden = json.loads((GOLDENS / f"{name}__to_data_array.json").read_text())["data_array"]
    lazy = from_zarr(FIXTURES / f"{name}.zarr")
    result = lazy.to_data_array()
    assert isinstance(result.data, da.Array)  # nothing computed
    assert type(result).__name__ == golden["python_type"] and result.name == golden["name"]
    assert list(result.dims) == golden["dims"] and list(result.shape) == golden["shape"]
    assert str(result.dtype) == golden["dtype"] and result.attrs == golden["attrs"]
    assert hashlib.sha256(np.ascontiguousarray(result.values).tobytes()).hexdigest() == golden["values_sha256"]
    assert set(result.coords) == set(golden["coords"])
    for label, expected in golden["coords"].items():
        coord = result.coords[label]
        assert list(coord.dims) == expected["dims"] and str(coord.dtype) == expected["dtype"], label
        assert coord.attrs == expected["attrs"], label
        assert coord.values.tolist() == expected["values"], label  # exact, as abTEM's linspace


def test_to_data_array_pairs_duplicates_and_devices() -> None:
    tilts = TiltAxis(values=((0.0, 0.0), (1.0, 2.0)))
    im = Images(np.zeros((2, 2, 3, 4), np.float32), 0.5, [tilts, UnknownAxis()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # duplicate/odd dims pass without a warning escaping
        result = im.to_data_array()
    assert list(result.coords["unknown"].values) == [0, 1]
    assert list(result.coords[tilts.label].values) == ["[0. 0.]", "[1. 2.]"]
    assert "long_name" not in result.attrs
    result.attrs["energy"] = 1
    assert "energy" not in im.metadata  # attrs are a copy


def test_to_data_array_of_diffraction_patterns() -> None:
    dp = make_images((2, 6, 5)).diffractograms()
    result = dp.to_data_array()
    assert list(result.dims) == ["Frozen phonons", "kx", "ky"]
    np.testing.assert_array_equal(result.coords["kx"].values, np.array(dp.axes_metadata[-2].coordinates(6)))
    assert result.coords["kx"].values[3] == 0.0  # zero frequency at n // 2
    assert result.coords["kx"].attrs["units"] == "1/Å"


# ------------------------------------------------------------------------------ HyperSpy axes (no HyperSpy needed)
def _two_ensemble_axes() -> Images:
    return Images(np.zeros((3, 2, 5, 4), np.float32), (0.1, 0.2),
                  [ParameterAxis(label="df", units="Å", values=(1.0, 2.0, 3.0)), FrozenPhononsAxis()],
                  metadata={"energy": 3e5, "label": "intensity", "units": "arb. unit"})


def test_hyperspy_axes_follow_the_data_order() -> None:
    """abTEM reverses the ensemble axes (wrong for two or more) and refuses frozen phonons."""
    axes = hyperspy_axes(_two_ensemble_axes())
    assert [a["name"] for a in axes] == ["df", "Frozen phonons", "y", "x"]
    assert [a["size"] for a in axes] == [3, 2, 4, 5]
    assert axes[-1]["scale"] == 0.1 and axes[-2]["scale"] == 0.2 and axes[-1]["units"] == "Å"
    assert list(axes[0]["axis"]) == [1.0, 2.0, 3.0] and "scale" not in axes[1]
    untransposed = hyperspy_axes(_two_ensemble_axes(), transpose=False)
    assert [a["name"] for a in untransposed][-2:] == ["x", "y"] and untransposed[-2]["size"] == 5


def test_hyperspy_axes_of_every_kind() -> None:
    im = Images(np.zeros((2, 3, 2, 2, 5, 4)), 0.1, [
        ParameterAxis(label="down", values=(3.0, 1.0)),  # decreasing: non-uniform axis
        ParameterAxis(label="mixed", values=(1.0, 3.0, 2.0)),  # not monotonic: index axis
        SampleAxis(), AxisMetadata(label=""),
    ])
    axes = hyperspy_axes(im)
    assert list(axes[0]["axis"]) == [3.0, 1.0] and "axis" not in axes[1] and "axis" not in axes[2]
    assert axes[3]["name"] == "AxisMetadata"
    dp = DiffractionPatterns(np.zeros((6, 5)), (0.5, 0.25), fftshift=True)
    kx, ky = hyperspy_axes(dp, transpose=False)
    assert kx["offset"] == -1.5 and kx["scale"] == 0.5 and ky["offset"] == -0.5
    unshifted = hyperspy_axes(DiffractionPatterns(np.zeros((6, 5)), 0.5, fftshift=False))
    assert "scale" not in unshifted[0]


def test_hyperspy_metadata() -> None:
    meta = hyperspy_metadata(_two_ensemble_axes())
    assert meta["General"]["title"] == "intensity" and meta["Signal"]["quantity"] == "intensity (arb. unit)"
    assert meta["Acquisition_instrument"]["TEM"]["beam_energy"] == 300.0


def test_to_hyperspy_without_hyperspy_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "hyperspy", None)
    monkeypatch.setitem(sys.modules, "hyperspy.api", None)
    with pytest.raises(ImportError, match=r"napari-temimages\[hyperspy\]"):
        make_images().to_hyperspy()


# ------------------------------------------------------------------------------ real HyperSpy
_HYPERSPY = "hyperspy is an optional extra (pip install 'napari-temimages[hyperspy]')"


def test_to_hyperspy_signal_layout_and_calibration() -> None:
    pytest.importorskip("hyperspy.api", reason=_HYPERSPY)
    im = _two_ensemble_axes()
    im = Images(np.arange(120, dtype=np.float32).reshape(3, 2, 5, 4), im.sampling, im.ensemble_axes_metadata,
                metadata=im.metadata)
    signal = im.to_hyperspy()
    assert type(signal).__name__ == "Signal2D" and signal.data.shape == (3, 2, 4, 5)
    np.testing.assert_array_equal(signal.data[2, 1], im.array[2, 1].T)
    manager = signal.axes_manager
    assert [a.name for a in manager.signal_axes] == ["x", "y"]  # hyperspy lists x (horizontal) first
    assert manager["x"].scale == pytest.approx(0.1) and manager["y"].scale == pytest.approx(0.2)
    assert manager["df"].size == 3 and list(manager["df"].axis) == [1.0, 2.0, 3.0]
    assert manager["Frozen phonons"].size == 2
    assert signal.metadata.Acquisition_instrument.TEM.beam_energy == 300.0
    assert signal.original_metadata.energy == 3e5
    untransposed = im.to_hyperspy(transpose=False)
    assert untransposed.data.shape == (3, 2, 5, 4) and untransposed.axes_manager["x"].size == 5


def test_to_hyperspy_lazy_complex_and_profiles() -> None:
    pytest.importorskip("hyperspy.api", reason=_HYPERSPY)
    lazy = make_images((2, 3, 9, 8), complex_=True).lazy()
    signal = lazy.to_hyperspy()
    assert type(signal).__name__ == "LazyComplexSignal2D" and isinstance(signal.data, da.Array)
    np.testing.assert_array_equal(signal.data.compute()[1, 2], lazy.compute().array[1, 2].T)
    profile = make_images((2, 9, 8)).interpolate_line(end=(0.5, 1.0), gpts=7).to_hyperspy()
    assert type(profile).__name__ == "Signal1D" and profile.axes_manager.signal_axes[0].size == 7
