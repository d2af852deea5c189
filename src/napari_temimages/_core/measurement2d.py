"""Shared base of the 2D measurements (Images, DiffractionPatterns): two base axes with a sampling.

Layout ``(*ensemble, n_x, n_y)``: array axis -2 is x, axis -1 is y (abTEM's code; its docstring
claims the reverse). ``sampling = (d_x, d_y)`` and ``extent = (n_x d_x, n_y d_y)``.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .array_object import ArrayObject
from .axes import AxisMetadata
from .errors import InvalidArgumentError, InvalidTypeError

__all__ = ["BaseMeasurement2D", "pair_items", "validate_sampling"]


def pair_items(value: Any, what: str, scalar: tuple = (numbers.Real, np.number), noun: str = "number") -> tuple:
    """A scalar ``s`` -> ``(s, s)``; a two-item sequence -> its items (unchecked types).

    Shared by every "(x, y) pair" argument (sampling, sigma, gpts, extents, ...).
    """
    if isinstance(value, scalar) and not isinstance(value, (bool, np.bool_)):
        return (value, value)
    article = "an" if noun[0] in "aeiou" else "a"
    if isinstance(value, (str, bytes)):
        raise InvalidTypeError(f"{what} must be {article} {noun} or a pair of {noun}s, not {value!r}")
    try:
        values = tuple(value)
    except TypeError:
        raise InvalidTypeError(f"{what} must be {article} {noun} or a pair of {noun}s, not {value!r}") from None
    if len(values) != 2:
        raise InvalidArgumentError(f"{what} must have two values (x, y), got {len(values)}: {value!r}")
    return values


def validate_sampling(sampling: Any, what: str = "sampling") -> tuple[float, float]:
    """A scalar or a pair of positive finite numbers -> ``(float, float)``."""
    out = []
    for v in pair_items(sampling, what):
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)):
            raise InvalidTypeError(f"{what} values must be numbers, got {v!r}")
        v = float(v)
        if not np.isfinite(v) or v <= 0:
            raise InvalidArgumentError(f"{what} values must be positive and finite, got {v}")
        out.append(v)
    return out[0], out[1]


class BaseMeasurement2D(ArrayObject):
    """Array object with two base axes sampled at ``sampling`` (units set by the subclass)."""

    _base_dims = 2

    def __init__(
        self,
        array: Any,
        sampling: float | Sequence[float],
        ensemble_axes_metadata: Sequence[AxisMetadata] | None = None,
        metadata: dict | None = None,
    ):
        self._sampling = validate_sampling(sampling)
        super().__init__(array, ensemble_axes_metadata=ensemble_axes_metadata, metadata=metadata)

    def _init_kwargs(self) -> dict:
        return {"sampling": self._sampling, **super()._init_kwargs()}

    @property
    def sampling(self) -> tuple[float, float]:
        """Pixel size ``(d_x, d_y)``."""
        return self._sampling

    @property
    def extent(self) -> tuple[float, float]:
        """``(n_x d_x, n_y d_y)``."""
        return (self.base_shape[0] * self._sampling[0], self.base_shape[1] * self._sampling[1])

    def _check_compatible(self, other: ArrayObject, what: str) -> None:
        if not np.allclose(self.sampling, other.sampling, rtol=1e-9, atol=0):
            raise InvalidArgumentError(
                f"{what}: samplings differ ({self.sampling} vs {other.sampling})"
            )
