"""Metadata as a plain JSON-able tree (str keys, lists, Python numbers), for file and export formats."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend as _backend

__all__ = ["plain_tree"]


def plain_tree(value: Any) -> Any:
    """Dicts (str keys), lists (tuples become lists), Python scalars; arrays (any device) -> lists."""
    if isinstance(value, dict):
        return {str(k): plain_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_tree(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return np.asarray(_backend.to_numpy(value)).tolist()
    return value
