"""Axis metadata: abTEM's axis types, with the same field names, defaults, order and dict form.

Every array axis of a measurement is described by one of these dataclasses. The *base* axes of an
image are :class:`RealSpaceAxis` objects synthesised from the sampling (x = array axis -2,
y = array axis -1); ensemble axes (defocus series, frozen phonons, ...) are stored explicitly.

Serialisation (``axis_to_dict`` / ``axis_from_dict``) follows abTEM 1.0.11: all dataclass fields
in declaration order, then ``"type"`` (the class name); ``weights`` is omitted when ``None``.
Reading is lenient and safe: types come from the explicit registry :data:`AXIS_TYPES` (never from
a module lookup), unknown keys are ignored and unknown types become :class:`UnknownAxis`-like
generic axes that keep their label and units.
"""

from __future__ import annotations

import copy as _copy
import dataclasses
import numbers
from dataclasses import dataclass, field, fields
from typing import Any, Sequence

import numpy as np

__all__ = [
    "AXIS_TYPES",
    "AxisAlignedTiltAxis",
    "AxisMetadata",
    "FrozenPhononsAxis",
    "LinearAxis",
    "NonLinearAxis",
    "OrdinalAxis",
    "ParameterAxis",
    "PlasmonAxis",
    "PositionsAxis",
    "PrismPlaneWavesAxis",
    "ReciprocalSpaceAxis",
    "RealSpaceAxis",
    "SampleAxis",
    "ScanAxis",
    "ThicknessAxis",
    "TiltAxis",
    "UnknownAxis",
    "WaveVectorAxis",
    "axis_from_dict",
    "axis_to_dict",
]


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays (and nested tuples/lists of them) to plain Python objects."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _plain(tuple(value.tolist())) if value.ndim else value.item()
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value


def _values_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    try:
        arr_a = np.asarray(a)
        arr_b = np.asarray(b)
    except Exception:  # pragma: no cover - exotic objects
        return a == b
    if arr_a.shape != arr_b.shape:
        return False
    if arr_a.dtype.kind in "fciub" and arr_b.dtype.kind in "fciub":
        return bool(np.allclose(arr_a, arr_b, equal_nan=True))
    return bool(np.all(arr_a == arr_b)) if arr_a.size else True


@dataclass(eq=False, repr=True)
class AxisMetadata:
    """Base axis description (label, units, LaTeX forms, display hints)."""

    label: str = ""
    units: str | None = None
    tex_label: str | None = None
    tex_units: str | None = None
    _default_type: str = "index"
    _concatenate: bool = True
    _ensemble_mean: bool = False
    _squeeze: bool = False

    # -- generic behaviour -------------------------------------------------------------------
    def coordinates(self, n: int) -> Any:
        """Coordinates of an axis of length ``n``: ``(0, 1, ..., n-1)`` unless overridden."""
        return tuple(range(n))

    def item_metadata(self, item: int, metadata: dict | None = None) -> dict:
        """Metadata added to an object when an integer index removes this axis."""
        return {}

    def index(self, item: Any) -> "AxisMetadata":
        """The axis after indexing its array axis with ``item`` (slice, list, mask, int)."""
        return self.copy()

    def copy(self) -> "AxisMetadata":
        return _copy.deepcopy(self)

    def to_dict(self) -> dict:
        """Dict form with every field (``weights`` kept even when ``None``) then ``type``."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        out["type"] = type(self).__name__
        return out

    def to_ordinal_axis(self, n: int) -> "OrdinalAxis":
        values = tuple(_plain(v) for v in np.asarray(self.coordinates(n)).tolist())
        return OrdinalAxis(label=self.label, units=self.units, tex_label=self.tex_label, values=values)

    def concatenate(self, other: "AxisMetadata") -> "AxisMetadata":
        if not self._concatenate:
            raise ValueError(f"axis {self.label!r} of type {type(self).__name__} cannot be concatenated")
        if self != other:
            raise ValueError("cannot concatenate axes with different metadata")
        return self.copy()

    def format_value(self, index: int, n: int) -> str:
        """Human readable ``"label = value units"`` for member ``index`` of an axis of length ``n``."""
        coords = self.coordinates(n)
        value = coords[index]
        label = self.label or type(self).__name__
        if isinstance(value, (float, np.floating)):
            text = f"{float(value):.4g}"
        else:
            text = str(_plain(value))
        units = f" {self.units}" if self.units else ""
        return f"{label} = {text}{units}"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_values_equal(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]


@dataclass(eq=False, repr=True)
class UnknownAxis(AxisMetadata):
    """Axis of unknown meaning (default for ``expand_dims`` and ``None`` indexing)."""

    label: str = "unknown"


@dataclass(eq=False, repr=True)
class SampleAxis(AxisMetadata):
    """Independent random samples (noise realisations)."""


@dataclass(eq=False, repr=True)
class FrozenPhononsAxis(AxisMetadata):
    """Frozen-phonon configurations; simulations set ``_ensemble_mean=True``."""

    label: str = "Frozen phonons"

    def format_value(self, index: int, n: int) -> str:
        return f"{self.label or 'frozen phonon'} {index + 1} of {n}"


@dataclass(eq=False, repr=True)
class PrismPlaneWavesAxis(AxisMetadata):
    """PRISM plane-wave expansion axis."""


@dataclass(eq=False, repr=True)
class LinearAxis(AxisMetadata):
    """Uniformly sampled axis: coordinate ``offset + i * sampling``."""

    sampling: float = 1.0
    units: str | None = ""
    offset: float = 0.0

    def coordinates(self, n: int) -> np.ndarray:
        return np.linspace(self.offset, self.offset + n * self.sampling, n, endpoint=False)

    def index(self, item: Any) -> "AxisMetadata":
        new = self.copy()
        if isinstance(item, (numbers.Integral, np.integer)) and not isinstance(item, bool):
            if item >= 0:
                new.offset = self.offset + int(item) * self.sampling
        elif isinstance(item, slice) and item.step in (None, 1):
            start = 0 if item.start is None else item.start
            if start >= 0:
                new.offset = self.offset + start * self.sampling
        return new

    def format_value(self, index: int, n: int) -> str:
        value = self.offset + index * self.sampling
        units = f" {self.units}" if self.units else ""
        return f"{self.label or 'axis'} = {value:.4g}{units}"


@dataclass(eq=False, repr=True)
class RealSpaceAxis(LinearAxis):
    """Real-space axis in Å (the base axes of images and line profiles)."""

    sampling: float = 1.0
    units: str | None = "pixels"
    endpoint: bool = True


@dataclass(eq=False, repr=True)
class ScanAxis(RealSpaceAxis):
    """Scan axis of un-reduced STEM data."""

    _main: bool = True


@dataclass(eq=False, repr=True)
class ReciprocalSpaceAxis(LinearAxis):
    """Reciprocal-space axis in 1/Å; ``fftshift`` tells the storage order."""

    sampling: float = 1.0
    units: str | None = "pixels"
    _concatenate: bool = False
    fftshift: bool = True

    def coordinates(self, n: int) -> np.ndarray:
        start = round(self.offset / self.sampling) if self.sampling else 0
        coords = (start + np.arange(n)) * self.sampling
        if not self.fftshift:
            coords = np.fft.ifftshift(coords)
        return coords


def _as_values_tuple(values: Any) -> tuple:
    if isinstance(values, (str, bytes)):
        return (values,)
    if isinstance(values, (numbers.Number, np.generic)):
        return (_plain(values),)
    if isinstance(values, np.ndarray):
        return _plain(values) if values.ndim else (values.item(),)
    try:
        return tuple(_plain(v) for v in values)
    except TypeError as exc:
        raise ValueError(f"ordinal axis values must be a sequence, got {type(values).__name__}") from exc


@dataclass(eq=False, repr=True)
class OrdinalAxis(AxisMetadata):
    """Axis with one explicit value per member (and optional probability weights)."""

    values: tuple = ()
    weights: tuple | None = None

    def __post_init__(self) -> None:
        self.values = _as_values_tuple(self.values)
        if self.weights is not None:
            try:
                weights = tuple(float(w) for w in _as_values_tuple(self.weights))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"weights of axis {self.label!r} must be numbers") from exc
            if len(weights) != len(self.values):
                raise ValueError(
                    f"axis {self.label!r} has {len(self.values)} values but {len(weights)} weights"
                )
            if any(w < 0 or not np.isfinite(w) for w in weights):
                raise ValueError(f"weights of axis {self.label!r} must be finite and non-negative")
            self.weights = weights

    def __len__(self) -> int:
        return len(self.values)

    @property
    def is_weighted(self) -> bool:
        """True when weights are given and not all equal."""
        return self.weights is not None and len(set(self.weights)) > 1

    def coordinates(self, n: int) -> tuple:
        return self.values

    def item_metadata(self, item: int, metadata: dict | None = None) -> dict:
        return {self.label: self.values[item]}

    def index(self, item: Any) -> "OrdinalAxis":
        new = self.copy()
        if isinstance(item, (numbers.Integral, np.integer)) and not isinstance(item, bool):
            new.values = (self.values[item],)
            new.weights = None if self.weights is None else (self.weights[item],)
            return new
        values = np.empty(len(self.values), dtype=object)
        values[:] = list(self.values)
        new.values = tuple(values[item].tolist())
        if self.weights is not None:
            new.weights = tuple(np.asarray(self.weights, dtype=float)[item].tolist())
        return new

    def concatenate(self, other: "AxisMetadata") -> "OrdinalAxis":
        if type(other) is not type(self) or other.label != self.label:
            raise ValueError("cannot concatenate ordinal axes of different type or label")
        new = self.copy()
        new.values = self.values + other.values
        if self.weights is not None or other.weights is not None:
            new.weights = (self.weights or (1.0,) * len(self.values)) + (
                other.weights or (1.0,) * len(other.values)
            )
        return new


@dataclass(eq=False, repr=True)
class NonLinearAxis(OrdinalAxis):
    """Ordinal axis with numeric, not necessarily uniform values (noise doses, ...)."""

    units: str | None = "unknown"


@dataclass(eq=False, repr=True)
class ParameterAxis(NonLinearAxis):
    """A swept parameter, e.g. defocus ``C10`` (values are ``-defocus`` in Å)."""

    label: str = ""


@dataclass(eq=False, repr=True)
class ThicknessAxis(NonLinearAxis):
    """Specimen thickness of multislice exit planes, Å."""

    label: str = "thickness"
    units: str | None = "Å"


@dataclass(eq=False, repr=True)
class AxisAlignedTiltAxis(NonLinearAxis):
    """Beam tilt along one axis, mrad."""

    units: str | None = "mrad"
    direction: str = "x"

    def item_metadata(self, item: int, metadata: dict | None = None) -> dict:
        key = f"base_tilt_{self.direction}"
        value = self.values[item]
        if metadata and key in metadata:
            value = metadata[key] + value
        return {key: value}


@dataclass(eq=False, repr=True)
class TiltAxis(OrdinalAxis):
    """Beam tilt series; values are ``(tilt_x, tilt_y)`` pairs in mrad."""

    units: str | None = "mrad"

    def item_metadata(self, item: int, metadata: dict | None = None) -> dict:
        tx, ty = self.values[item]
        return {"base_tilt_x": tx, "base_tilt_y": ty}


@dataclass(eq=False, repr=True)
class WaveVectorAxis(OrdinalAxis):
    """PRISM wave vectors, 1/Å."""

    units: str | None = "1/Å"


@dataclass(eq=False, repr=True)
class PositionsAxis(OrdinalAxis):
    """Custom probe positions; values are ``(x, y)`` pairs in Å."""

    label: str = "x, y"
    units: str | None = "Å"


@dataclass(eq=False, repr=True)
class PlasmonAxis(OrdinalAxis):
    """Plasmon-scattering orders (abTEM cannot read these back; we can)."""


#: The explicit registry of axis types known to files. Never extended from file content.
AXIS_TYPES: dict[str, type[AxisMetadata]] = {
    cls.__name__: cls
    for cls in (
        AxisMetadata,
        UnknownAxis,
        SampleAxis,
        FrozenPhononsAxis,
        PrismPlaneWavesAxis,
        LinearAxis,
        RealSpaceAxis,
        ScanAxis,
        ReciprocalSpaceAxis,
        OrdinalAxis,
        NonLinearAxis,
        ParameterAxis,
        ThicknessAxis,
        AxisAlignedTiltAxis,
        TiltAxis,
        WaveVectorAxis,
        PositionsAxis,
        PlasmonAxis,
    )
}


def axis_to_dict(axis: AxisMetadata) -> dict:
    """abTEM 1.0.11 file form: every field in declaration order, ``type`` last, no ``weights: None``."""
    out = axis.to_dict()
    if out.get("weights", 0) is None:
        del out["weights"]
    return out


def _coerce_field(cls: type, name: str, value: Any) -> Any:
    """Coerce a decoded JSON value to the type a field expects (lists -> tuples for values)."""
    if name in ("values", "weights") and value is not None:
        return _as_values_tuple(
            [tuple(v) if isinstance(v, list) else v for v in value] if isinstance(value, list) else value
        )
    return value


def axis_from_dict(data: dict, *, strict: bool = False) -> AxisMetadata:
    """Build an axis from its dict form.

    Parameters
    ----------
    data
        Dict with the dataclass fields and a ``type`` key naming the class.
    strict
        If True, unknown types or keys raise ``ValueError``; otherwise unknown types fall back to
        a generic axis (ordinal if the dict has ``values``, linear if it has ``sampling``) and
        unknown keys are ignored.
    """
    if not isinstance(data, dict):
        raise ValueError(f"axis metadata must be a dict, not {type(data).__name__}")
    type_name = data.get("type", "AxisMetadata")
    cls = AXIS_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        if strict:
            raise ValueError(f"unknown axis type {type_name!r}")
        if "values" in data:
            cls = OrdinalAxis
        elif "sampling" in data:
            cls = LinearAxis
        else:
            cls = AxisMetadata
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names - {"type"}
    if unknown and strict:
        raise ValueError(f"unknown keys {sorted(unknown)} for axis type {type_name!r}")
    kwargs = {k: _coerce_field(cls, k, v) for k, v in data.items() if k in names}
    for f in fields(cls):
        if f.name in kwargs:
            _check_field_type(cls, f, kwargs[f.name])
    return cls(**kwargs)


def _check_field_type(cls: type, f: dataclasses.Field, value: Any) -> None:
    """Reject JSON values whose type cannot belong to the field (names the field)."""
    default = f.default if f.default is not dataclasses.MISSING else None
    if f.name in ("label", "_default_type", "direction"):
        ok = isinstance(value, str)
    elif f.name in ("units", "tex_label", "tex_units"):
        ok = value is None or isinstance(value, str)
    elif isinstance(default, bool):
        ok = isinstance(value, (bool, np.bool_))
    elif f.name in ("sampling", "offset"):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    else:
        ok = True
    if not ok:
        raise ValueError(
            f"axis field {f.name!r} of {cls.__name__} has an invalid value {value!r} "
            f"({type(value).__name__})"
        )


def ensemble_axes_copy(axes: Sequence[AxisMetadata]) -> list[AxisMetadata]:
    """Deep copy of a list of axes."""
    return [axis.copy() for axis in axes]
