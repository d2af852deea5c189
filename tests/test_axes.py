"""Axis metadata: abTEM's field names, defaults, order, dict form and behaviour (spec §2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_temimages._core import axes as ax
from napari_temimages._core.axes import axis_from_dict, axis_to_dict

BASE_KEYS = ["label", "units", "tex_label", "tex_units", "_default_type", "_concatenate", "_ensemble_mean", "_squeeze"]

# Spec §2.4 example dicts (abTEM 1.0.11 defaults), exact key order.
SPEC_EXAMPLES = [
    '{"label": "unknown", "units": null, "tex_label": null, "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": false, "_squeeze": false, "type": "UnknownAxis"}',
    '{"label": "Frozen phonons", "units": null, "tex_label": null, "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": true, "_squeeze": false, "type": "FrozenPhononsAxis"}',
    '{"label": "x", "units": "Å", "tex_label": "$x$", "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": false, "_squeeze": false, "sampling": 0.1, "offset": 0.0, "endpoint": true, "type": "RealSpaceAxis"}',
    '{"label": "kx", "units": "1/Å", "tex_label": "$k_x$", "tex_units": null, "_default_type": "index", "_concatenate": false, "_ensemble_mean": false, "_squeeze": false, "sampling": 0.333, "offset": -1.0, "fftshift": true, "type": "ReciprocalSpaceAxis"}',
    '{"label": "", "units": "pixels", "tex_label": null, "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": false, "_squeeze": false, "sampling": 1.0, "offset": 0.0, "endpoint": true, "_main": true, "type": "ScanAxis"}',
    '{"label": "df", "units": "unknown", "tex_label": null, "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": false, "_squeeze": false, "values": [1.0, 2.0], "weights": [1.0, 3.0], "type": "ParameterAxis"}',
    '{"label": "", "units": "mrad", "tex_label": null, "tex_units": null, "_default_type": "index", "_concatenate": true, "_ensemble_mean": false, "_squeeze": false, "values": [], "direction": "x", "type": "AxisAlignedTiltAxis"}',
]


@pytest.mark.parametrize("text", SPEC_EXAMPLES)
def test_dict_round_trip_exact_key_order(text: str) -> None:
    data = json.loads(text)
    axis = axis_from_dict(data)
    assert type(axis).__name__ == data["type"]
    out = json.loads(json.dumps(axis_to_dict(axis)))
    assert list(out) == list(data)
    assert out == data


@pytest.mark.parametrize(
    "cls, defaults",
    [
        (ax.AxisMetadata, {"label": "", "units": None}),
        (ax.UnknownAxis, {"label": "unknown"}),
        (ax.FrozenPhononsAxis, {"label": "Frozen phonons", "_ensemble_mean": False}),
        (ax.LinearAxis, {"sampling": 1.0, "units": "", "offset": 0.0}),
        (ax.RealSpaceAxis, {"units": "pixels", "endpoint": True}),
        (ax.ReciprocalSpaceAxis, {"units": "pixels", "fftshift": True, "_concatenate": False}),
        (ax.OrdinalAxis, {"values": (), "weights": None}),
        (ax.NonLinearAxis, {"units": "unknown"}),
        (ax.ParameterAxis, {"label": "", "units": "unknown"}),
        (ax.ThicknessAxis, {"label": "thickness", "units": "Å"}),
        (ax.AxisAlignedTiltAxis, {"units": "mrad", "direction": "x"}),
        (ax.TiltAxis, {"units": "mrad"}),
        (ax.WaveVectorAxis, {"units": "1/Å"}),
        (ax.PositionsAxis, {"label": "x, y", "units": "Å"}),
    ],
)
def test_defaults(cls, defaults) -> None:
    axis = cls()
    for key, value in defaults.items():
        assert getattr(axis, key) == value
    assert list(axis.to_dict())[: len(BASE_KEYS)] == BASE_KEYS


def test_weights_omitted_only_in_file_form() -> None:
    axis = ax.ParameterAxis(label="C10", values=(1.0, 2.0))
    assert "weights" not in axis_to_dict(axis)
    assert axis.to_dict()["weights"] is None


def test_every_registered_type_round_trips() -> None:
    for name, cls in ax.AXIS_TYPES.items():
        axis = cls()
        back = axis_from_dict(json.loads(json.dumps(axis_to_dict(axis))))
        assert type(back) is cls and back == axis, name


def test_coordinates() -> None:
    np.testing.assert_allclose(ax.LinearAxis(sampling=0.5, offset=1.0).coordinates(4), [1.0, 1.5, 2.0, 2.5])
    np.testing.assert_allclose(ax.ReciprocalSpaceAxis(sampling=0.5, offset=-1.0).coordinates(4), [-1.0, -0.5, 0.0, 0.5])
    unshifted = ax.ReciprocalSpaceAxis(sampling=0.5, offset=-1.0, fftshift=False).coordinates(4)
    np.testing.assert_allclose(unshifted, [0.0, 0.5, -1.0, -0.5])
    assert ax.FrozenPhononsAxis().coordinates(3) == (0, 1, 2)
    assert ax.ParameterAxis(values=(3.0, 4.0)).coordinates(2) == (3.0, 4.0)


def test_ordinal_validation_and_coercion() -> None:
    assert ax.OrdinalAxis(values=5.0).values == (5.0,)
    assert ax.OrdinalAxis(values=np.array([1.0, 2.0])).values == (1.0, 2.0)
    assert ax.OrdinalAxis(values=[1, 2], weights=[1, 2]).weights == (1.0, 2.0)
    with pytest.raises(ValueError, match="2 values but 3 weights"):
        ax.OrdinalAxis(values=(1, 2), weights=(1, 2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        ax.OrdinalAxis(values=(1, 2), weights=(1, -2))
    assert not ax.OrdinalAxis(values=(1, 2), weights=(2, 2)).is_weighted
    assert ax.OrdinalAxis(values=(1, 2), weights=(1, 2)).is_weighted


def test_item_metadata() -> None:
    assert ax.ParameterAxis(label="C10", values=(1.0, 2.0)).item_metadata(1) == {"C10": 2.0}
    assert ax.TiltAxis(values=((1, 2), (3, 4))).item_metadata(1) == {"base_tilt_x": 3, "base_tilt_y": 4}
    tilt = ax.AxisAlignedTiltAxis(values=(1.0, 2.0), direction="y")
    assert tilt.item_metadata(0, {"base_tilt_y": 5.0}) == {"base_tilt_y": 6.0}
    assert ax.FrozenPhononsAxis().item_metadata(0) == {}


def test_index() -> None:
    p = ax.ParameterAxis(label="C10", values=(1.0, 2.0, 3.0), weights=(1, 2, 3))
    sub = p.index([0, 2])
    assert sub.values == (1.0, 3.0) and sub.weights == (1.0, 3.0)
    assert p.index(np.array([True, False, True])).values == (1.0, 3.0)
    assert p.index(slice(1, None)).values == (2.0, 3.0)
    lin = ax.LinearAxis(sampling=0.5, offset=1.0)
    assert lin.index(slice(2, None)).offset == 2.0
    assert lin.index(slice(None, None, 2)).offset == 1.0


def test_lenient_and_strict_reading() -> None:
    data = {"label": "q", "units": "Å", "values": [1, 2], "type": "FancyNewAxis", "extra": 1}
    axis = axis_from_dict(data)
    assert isinstance(axis, ax.OrdinalAxis) and axis.label == "q" and axis.values == (1, 2)
    with pytest.raises(ValueError, match="unknown axis type"):
        axis_from_dict(data, strict=True)
    with pytest.raises(ValueError, match="sampling"):
        axis_from_dict({"type": "RealSpaceAxis", "sampling": "abc"})
    with pytest.raises(ValueError, match="must be a dict"):
        axis_from_dict([1, 2])


def test_registry_never_resolves_arbitrary_names() -> None:
    axis = axis_from_dict({"type": "__import__", "label": "x"})
    assert type(axis) is ax.AxisMetadata
    assert "os" not in ax.AXIS_TYPES


def test_format_value() -> None:
    assert ax.ParameterAxis(label="C10", units="Å", values=(-120.0,)).format_value(0, 1) == "C10 = -120 Å"
    assert ax.FrozenPhononsAxis().format_value(2, 8) == "Frozen phonons 3 of 8"


def test_equality_is_tolerant_and_typed() -> None:
    assert ax.LinearAxis(sampling=0.1) == ax.LinearAxis(sampling=0.1 + 1e-12)
    assert ax.LinearAxis(sampling=0.1) != ax.RealSpaceAxis(sampling=0.1)
    assert ax.ParameterAxis(values=(1.0,)) != ax.ParameterAxis(values=(2.0,))
