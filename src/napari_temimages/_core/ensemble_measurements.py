"""``MeasurementsEnsemble``: zero base dimensions, every axis is an ensemble axis."""

from __future__ import annotations

from typing import Any, Sequence

from .array_object import ArrayObject
from .axes import AxisMetadata

__all__ = ["MeasurementsEnsemble"]


class MeasurementsEnsemble(ArrayObject):
    """Values over ensemble axes only (what ``to_measurement_ensemble()`` returns)."""

    _base_dims = 0

    def __init__(
        self,
        array: Any,
        ensemble_axes_metadata: Sequence[AxisMetadata] | None = None,
        metadata: dict | None = None,
    ):
        super().__init__(array, ensemble_axes_metadata=ensemble_axes_metadata, metadata=metadata)
