"""The conversion Images <-> napari layer data, without a viewer (no Qt needed)."""

from __future__ import annotations

import math
import subprocess
import sys

import dask.array as da
import numpy as np
import pytest

from napari_temimages import (
    DiffractionPatterns,
    FrozenPhononsAxis,
    Images,
    LinearAxis,
    NonLinearAxis,
    OrdinalAxis,
    ParameterAxis,
    TiltAxis,
)
from napari_temimages.layer_data import (
    META_KEY,
    axis_layer_spec,
    ensemble_readout,
    estimate_contrast_limits,
    from_layer,
    napari_units,
    to_layer_data,
    typographic_minus,
)


def _images(lazy=False, complex_=False, dtype=np.float32):
    rng = np.random.default_rng(1)
    array = rng.random((3, 4, 9, 7)).astype(dtype) + 0.5
    if complex_:
        array = (array * np.exp(1j * rng.uniform(-3, 3, array.shape))).astype(np.complex64)
    axes = [
        FrozenPhononsAxis(_ensemble_mean=True),
        ParameterAxis(label="C10", units="Å", tex_label="$C_{10}$", values=(60.0, 20.0, -20.0, -60.0)),
    ]
    im = Images(array, sampling=(0.1, 0.25), ensemble_axes_metadata=axes,
                metadata={"energy": 200e3, "label": "intensity", "units": "arb. unit", "semiangle_cutoff": 25.0})
    return im.ensure_lazy(chunks=(1, 1, 9, 7)) if lazy else im


class CountingArray:
    """numpy-like source for dask that counts chunk reads."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim
        self.reads = 0

    def __getitem__(self, item):
        self.reads += 1
        return self.array[item]


# ------------------------------------------------------------------------------ layout
def test_layer_is_a_transposed_view_with_physical_axes():
    im = _images()
    (data, meta, kind), = to_layer_data(im, name="hrtem")
    assert kind == "image" and meta["name"] == "hrtem"
    # (*ensemble, y, x): napari's last (horizontal) axis is abTEM's x, a view and not a copy
    assert data.shape == (3, 4, 7, 9)
    assert np.shares_memory(data, im.array)
    assert data[1, 2, 5, 8] == im.array[1, 2, 8, 5]
    assert meta["axis_labels"] == ("Frozen phonons", "C10", "y", "x")
    assert meta["scale"] == (1.0, -40.0, 0.25, 0.1)
    assert meta["translate"] == (0.0, 60.0, 0.0, 0.0)
    assert meta["units"] == ("pixel", "Å", "Å", "Å")
    assert meta["multiscale"] is False and meta["colormap"] == "gray"
    entry = meta["metadata"][META_KEY]
    assert entry["type"] == "Images" and entry["sampling"] == [0.1, 0.25]
    assert entry["metadata"] == im.metadata
    assert [d["type"] for d in entry["ensemble_axes"]] == ["FrozenPhononsAxis", "ParameterAxis"]
    assert "source" not in entry  # a plain view needs no source object


def test_lazy_data_stays_lazy_and_transposed_lazily():
    im = _images(lazy=True)
    (data, meta, _), = to_layer_data(im)
    assert isinstance(data, da.Array)
    assert data.chunks[-2:] == ((7,), (9,))  # whole images stay whole chunks
    np.testing.assert_array_equal(data[2, 1].compute(), im.array[2, 1].compute().T)


@pytest.mark.parametrize("lazy", [False, True])
def test_round_trip_is_bitwise(lazy):
    im = _images(lazy=lazy)
    layer = to_layer_data(im)[0]
    back = from_layer(layer)
    assert type(back) is Images and back.is_lazy == lazy
    assert back.sampling == im.sampling
    assert back.ensemble_axes_metadata == im.ensemble_axes_metadata
    assert [a.to_dict() for a in back.ensemble_axes_metadata] == [a.to_dict() for a in im.ensemble_axes_metadata]
    assert back.metadata == im.metadata
    a, b = np.asarray(back.array), np.asarray(im.array)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    # the (data, attributes) form napari hands to writers, and the classmethod on the model
    assert np.asarray(Images.from_layer(layer[:2]).array).tobytes() == b.tobytes()
    with pytest.raises(TypeError):
        DiffractionPatterns.from_layer(layer)


def test_metadata_is_copied_not_shared():
    im = _images()
    layer = to_layer_data(im)[0]
    layer[1]["metadata"][META_KEY]["metadata"]["energy"] = 1.0
    assert im.metadata["energy"] == 200e3


# ------------------------------------------------------------------------------ ensemble axes
@pytest.mark.parametrize(
    "axis, n, expected",
    [
        (LinearAxis(label="t", sampling=0.5, offset=2.0, units="Å"), 4, (0.5, 2.0, "Å", True)),
        (ParameterAxis(label="C10", units="Å", values=(-60.0, -20.0, 20.0, 60.0)), 4, (40.0, -60.0, "Å", True)),
        (ParameterAxis(label="C10", units="Å", values=(60.0, 20.0, -20.0)), 3, (-40.0, 60.0, "Å", True)),
        (ParameterAxis(label="C10", units="Å", values=(0.0, 10.0, 50.0)), 3, (1.0, 0.0, "pixel", False)),
        (NonLinearAxis(label="dose", units="e/Å2", values=(1.0, 2.0, 3.0)), 3, (1.0, 1.0, "pixel", True)),
        (FrozenPhononsAxis(), 8, (1.0, 0.0, "pixel", False)),
        (OrdinalAxis(label="name", values=("a", "b")), 2, (1.0, 0.0, "pixel", False)),
        (TiltAxis(label="tilt", values=((0.0, 1.0), (1.0, 0.0))), 2, (1.0, 0.0, "pixel", False)),
        (ParameterAxis(label="C10", units="Å", values=(-30.0,)), 1, (1.0, -30.0, "Å", True)),
    ],
)
def test_axis_layer_spec(axis, n, expected):
    spec = axis_layer_spec(axis, n)
    assert (spec["scale"], spec["translate"], spec["units"], spec["uniform"]) == expected
    assert spec["label"] == axis.label


def test_duplicate_labels_are_made_unique():
    im = Images(np.zeros((2, 2, 4, 4), np.float32), 0.1,
                ensemble_axes_metadata=[OrdinalAxis(label="x", values=(1, 2)), OrdinalAxis(label="x", values=(1, 2))])
    (_, meta, _), = to_layer_data(im)
    assert meta["axis_labels"] == ("x 2", "x 3", "y", "x")


def test_readout_shows_physical_values_of_every_axis():
    im = _images()
    assert ensemble_readout(im, (2, 3)) == ["Frozen phonons 3 of 3", "C10 = -60 Å"]
    entry = to_layer_data(im)[0][1]["metadata"][META_KEY]
    assert ensemble_readout(entry, (0, 1), shape=(3, 4)) == ["Frozen phonons 1 of 3", "C10 = 20 Å"]
    assert ensemble_readout(entry, (99, -5), shape=(3, 4)) == ["Frozen phonons 3 of 3", "C10 = 60 Å"]
    axes = [NonLinearAxis(label="dose", units="e/Å²", values=(10.0, 1e3, 1e5))]
    assert ensemble_readout(axes, (2,), shape=(3,)) == ["dose = 1e+05 e/Å²"]
    assert typographic_minus("C10 = -120 Å, a-b, x = -.5") == "C10 = \u2212120 Å, a-b, x = \u2212.5"


def test_units_are_ones_napari_understands():
    from napari.utils.transforms._units import get_units_from_name

    from napari_temimages.layer_data import _KNOWN_UNITS

    for unit in set(_KNOWN_UNITS.values()) | {"pixel"}:
        get_units_from_name(unit)  # raises ValueError for an unknown unit
    assert napari_units("Å") == "Å" and napari_units(None) == "pixel" and napari_units("arb. unit") == "pixel"


# ------------------------------------------------------------------------------ complex
def test_complex_images_open_as_lazy_amplitude_and_phase():
    im = _images(lazy=True, complex_=True)
    amp, phase = to_layer_data(im, name="exit wave")
    assert [amp[1]["name"], phase[1]["name"]] == ["exit wave (amplitude)", "exit wave (phase)"]
    assert isinstance(amp[0], da.Array) and isinstance(phase[0], da.Array)
    assert phase[1]["colormap"] == "twilight"
    assert phase[1]["contrast_limits"] == (-math.pi, math.pi)
    ref = im.array[1, 2].compute()
    np.testing.assert_allclose(amp[0][1, 2].compute(), np.abs(ref).T)
    np.testing.assert_allclose(phase[0][1, 2].compute(), np.angle(ref).T)
    lo, hi = amp[1]["contrast_limits"]
    assert 0 <= lo < hi and amp[0].dtype == np.float32
    # either layer stands for the complex image: saving it writes the complex data
    assert from_layer(amp) is im and from_layer(phase) is im


# ------------------------------------------------------------------------------ diffraction
def _patterns(fftshift=True, lazy=False):
    rng = np.random.default_rng(3)
    array = rng.random((2, 8, 6)).astype(np.float32)
    dp = DiffractionPatterns(array, sampling=(0.05, 0.1), fftshift=fftshift,
                             ensemble_axes_metadata=[ParameterAxis(label="C10", units="Å", values=(0.0, 50.0))],
                             metadata={"energy": 80e3})
    return dp.ensure_lazy(chunks=(1, 8, 6)) if lazy else dp


def test_diffraction_patterns_open_in_reciprocal_units_with_power_display():
    dp = _patterns()
    (data, meta, _), = to_layer_data(dp)
    assert meta["units"][-2:] == ("1/Å", "1/Å")
    assert meta["axis_labels"][-2:] == ("ky", "kx")
    assert meta["scale"][-2:] == (0.1, 0.05)
    assert meta["translate"][-2:] == (dp.offset[1], dp.offset[0]) == pytest.approx((-0.3, -0.2))
    assert meta["gamma"] == 0.25 and meta["colormap"] == "inferno"
    assert np.shares_memory(data, dp.array)
    back = from_layer((data, meta))
    assert type(back) is DiffractionPatterns and back.fftshift is True
    assert back.array.tobytes() == dp.array.tobytes()
    assert to_layer_data(dp, display="power", power=0.5)[0][1]["gamma"] == 0.5
    assert "gamma" not in to_layer_data(dp, display="linear")[0][1]


@pytest.mark.parametrize("lazy", [False, True])
def test_unshifted_patterns_are_shown_centred_and_saved_unshifted(lazy):
    dp = _patterns(fftshift=False, lazy=lazy)
    (data, meta, _), = to_layer_data(dp, display="linear")
    shifted = np.fft.fftshift(np.asarray(dp.array), axes=(-2, -1))
    np.testing.assert_array_equal(np.asarray(data), shifted.swapaxes(-1, -2))
    back = from_layer((data, meta))
    assert back.fftshift is False and back.is_lazy == lazy
    assert np.asarray(back.array).tobytes() == np.asarray(dp.array).tobytes()


def test_log_display_is_lazy_and_saves_the_linear_source():
    dp = _patterns(lazy=True)
    (data, meta, _), = to_layer_data(dp, display="log")
    assert isinstance(data, da.Array) and meta["name"].endswith("(log)")
    np.testing.assert_allclose(data[0].compute(), np.log10(dp.array[0].compute().T), rtol=1e-6)
    assert from_layer((data, meta)) is dp
    with pytest.raises(ValueError, match="display"):
        to_layer_data(dp, display="sqrt")


def test_other_types_are_refused():
    from napari_temimages import RealSpaceLineProfiles

    with pytest.raises(TypeError):
        to_layer_data(RealSpaceLineProfiles(np.zeros((3, 5)), sampling=0.1))


# ------------------------------------------------------------------------------ contrast
def test_contrast_limits_come_from_a_few_members_only():
    rng = np.random.default_rng(0)
    source = CountingArray((rng.random((5, 6, 16, 16)) * 7 + 3).astype(np.float32))
    lazy = da.from_array(source, chunks=(1, 1, 16, 16))
    im = Images(lazy, 0.1, ensemble_axes_metadata=[FrozenPhononsAxis(), ParameterAxis(label="C10", values=tuple(range(6)))])
    source.reads = 0
    (data, meta, _), = to_layer_data(im)
    assert source.reads <= 3  # first, middle and last member; 30 members in the file
    members = [source.array[0, 0], source.array[2, 3], source.array[4, 5]]
    assert meta["contrast_limits"] == (float(min(m.min() for m in members)), float(max(m.max() for m in members)))
    assert meta["contrast_limits"] != (0.0, 1.0)
    reads = source.reads
    data[1, 1].compute()  # one slider position = one chunk; no global statistic in the graph
    assert source.reads - reads == 1


def test_contrast_limits_edge_cases():
    assert estimate_contrast_limits(np.full((4, 4), np.nan), 0) == (0.0, 1.0)
    lo, hi = estimate_contrast_limits(np.full((2, 4, 4), 5.0), 1)
    assert lo < 5.0 < hi
    lo, hi = estimate_contrast_limits(np.arange(16.0).reshape(4, 4), 0)
    assert (lo, hi) == (0.0, 15.0)
    assert estimate_contrast_limits(np.zeros((0, 4, 4)), 1) == (0.0, 1.0)


# ------------------------------------------------------------------------------ plain layers
def test_plain_napari_layer_becomes_images():
    data = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # (t, y, x) as napari shows it
    attrs = {"scale": np.array([2.0, 0.5, 0.2]), "translate": [1.0, 0.0, 0.0], "units": ("second", "nanometer", "nanometer"),
             "axis_labels": ("t", "y", "x"), "metadata": {"note": "hand made"}}
    im = from_layer((data, attrs, "image"))
    assert type(im) is Images and im.shape == (2, 4, 3)
    assert im.sampling == (2.0, 5.0)  # nm -> Å, x = napari's last axis
    np.testing.assert_array_equal(im.array, data.swapaxes(-1, -2))
    (axis,) = im.ensemble_axes_metadata
    assert (type(axis), axis.label, axis.sampling, axis.offset, axis.units) == (LinearAxis, "t", 2.0, 1.0, "s")
    assert im.metadata == {"note": "hand made"}
    dp = from_layer((np.zeros((4, 6)), {"scale": (0.1, 0.2), "units": ("1 / angstrom", "1 / angstrom")}))
    assert type(dp) is DiffractionPatterns and dp.sampling == (0.2, 0.1)
    with pytest.raises(TypeError):
        from_layer((np.zeros((4, 4, 3)), {"rgb": True}))
    with pytest.raises(TypeError):
        from_layer((np.zeros((4, 4)), {}, "points"))


def test_layer_data_imports_neither_napari_nor_qt():
    code = (
        "import sys, numpy as np; from napari_temimages import Images; "
        "from napari_temimages.layer_data import to_layer_data, from_layer; "
        "from_layer(to_layer_data(Images(np.ones((2, 4, 4), 'f4'), 0.1))[0]); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('napari', 'qtpy', 'PyQt6', 'PyQt5', 'PySide6', 'vispy')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_device_arrays_are_moved_to_the_host():
    """napari renders numpy only: GPU (here a fake device backend) data are copied to the host."""
    from napari_temimages._core import backend

    class DeviceArray:
        """Like a cupy array: no implicit conversion to numpy."""

        def __init__(self, array):
            self.host = array
            self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

        def __array__(self, *args, **kwargs):
            raise TypeError("Implicit conversion to a NumPy array is not allowed")

    fake = backend.ArrayBackend(
        device="gpu", xp=np, owns=lambda a: isinstance(a, DeviceArray), fft_module=backend._scipy_fft,
        ndimage_module=backend._scipy_ndimage, asarray=DeviceArray, asnumpy=lambda a: a.host.copy(), name="fake",
    )
    backend.register_backend(fake)
    try:
        host = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
        im = Images(DeviceArray(host), 0.1)
        assert im.device == "gpu"
        (data, meta, _), = to_layer_data(im)
        assert type(data) is np.ndarray
        np.testing.assert_array_equal(data, host.swapaxes(-1, -2))
        assert meta["contrast_limits"] == (0.0, 31.0)
    finally:
        backend.unregister_backend("gpu")
