"""Build the same Images in abTEM 1.0.11 (test-only dependency) and in napari-temimages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from napari_temimages import Images
from napari_temimages._core import axes as ours_axes
from napari_temimages._core.axes import axis_to_dict

abtem = pytest.importorskip("abtem", reason="abtem==1.0.11 (test extra) is needed for live parity")
abtem_axes = pytest.importorskip("abtem.core.axes")


def to_abtem_axis(axis: ours_axes.AxisMetadata):
    data = axis_to_dict(axis)
    cls = getattr(abtem_axes, data.pop("type"))
    return cls(**data)


def to_abtem(images: Images):
    return abtem.Images(
        np.array(images.array),
        sampling=images.sampling,
        ensemble_axes_metadata=[to_abtem_axis(a) for a in images.ensemble_axes_metadata],
        metadata=dict(images.metadata),
    )


def abtem_axis_dicts(obj) -> list[dict]:
    out = []
    for axis in obj.axes_metadata:
        d = axis.to_dict() if hasattr(axis, "to_dict") else dict(vars(axis))
        d["type"] = type(axis).__name__
        if d.get("weights", 0) is None:
            d.pop("weights")
        out.append(d)
    return out


def our_axis_dicts(obj) -> list[dict]:
    return [axis_to_dict(a) for a in obj.axes_metadata]


@st.composite
def axis_for(draw, n: int):
    kind = draw(st.sampled_from(["frozen", "parameter", "unknown", "weighted", "linear", "sample"]))
    if kind == "frozen":
        return ours_axes.FrozenPhononsAxis(_ensemble_mean=draw(st.booleans()))
    if kind == "parameter":
        return ours_axes.ParameterAxis(label="C10", units="Å", values=tuple(float(v) for v in range(n)),
                                       _ensemble_mean=draw(st.booleans()))
    if kind == "weighted":
        weights = draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n))
        return ours_axes.OrdinalAxis(label="w", values=tuple(range(n)), weights=tuple(weights), _ensemble_mean=True)
    if kind == "linear":
        return ours_axes.LinearAxis(label="t", sampling=0.5, units="s")
    if kind == "sample":
        return ours_axes.SampleAxis()
    return ours_axes.UnknownAxis()


@st.composite
def images(draw, max_ensemble: int = 3, dtypes=("float32", "float64", "complex64")):
    n_ens = draw(st.integers(0, max_ensemble))
    ens_shape = tuple(draw(st.lists(st.integers(1, 4), min_size=n_ens, max_size=n_ens)))
    base = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    array = rng.standard_normal(ens_shape + base) + 0.5
    if dtype.kind == "c":
        array = array + 1j * rng.standard_normal(ens_shape + base)
    array = array.astype(dtype)
    axes = [draw(axis_for(n)) for n in ens_shape]
    sampling = (draw(st.floats(0.05, 1.0)), draw(st.floats(0.05, 1.0)))
    return Images(array, sampling, axes, {"energy": 200e3, "label": "intensity", "units": "arb. unit"})


def assert_same(ours, theirs, rtol=1e-5, atol_factor=1e-6) -> None:
    assert type(ours).__name__ == type(theirs).__name__
    a, b = np.asarray(ours.array), np.asarray(theirs.array)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    scale = max(float(np.nanmax(np.abs(b))) if b.size else 0.0, 1.0)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol_factor * scale, equal_nan=True)
    assert our_axis_dicts(ours) == abtem_axis_dicts(theirs)
    assert ours.metadata == theirs.metadata
