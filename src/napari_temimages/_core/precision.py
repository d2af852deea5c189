"""Precision policy: abTEM's default ``precision: float32``.

Several operations (FFT interpolation, Poisson noise) compute in the *precision dtype* whatever
the input dtype; these helpers name those dtypes.
"""

from __future__ import annotations

import numpy as np

#: abTEM's default precision.
PRECISION = "float32"


def float_dtype() -> np.dtype:
    """The real precision dtype (float32 by default)."""
    return np.dtype(PRECISION)


def complex_dtype() -> np.dtype:
    """The complex precision dtype (complex64 by default)."""
    return np.dtype(np.result_type(float_dtype(), np.complex64))


def real_dtype(dtype: np.dtype) -> np.dtype:
    """The real dtype matching ``dtype`` (complex64 -> float32, complex128 -> float64)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return np.dtype(dtype.char.lower()) if dtype.char in "FDG" else np.dtype(np.float64)
    return dtype


def is_complex_dtype(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind == "c"
