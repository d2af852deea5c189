"""Shared test helpers: small Images builders and a dask task counter."""

from __future__ import annotations

import numpy as np
from dask.callbacks import Callback

from napari_temimages import FrozenPhononsAxis, Images, ParameterAxis


class TaskCounter(Callback):
    """Counts dask tasks executed while active (a lazy op must leave it at 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def _pretask(self, key, dsk, state):
        self.count += 1


def make_images(shape=(3, 4, 9, 8), dtype=np.float32, sampling=(0.1, 0.2), seed=0, complex_=False) -> Images:
    """Images with a FrozenPhononsAxis (flagged for ensemble mean) and a ParameterAxis 'C10'."""
    rng = np.random.default_rng(seed)
    array = rng.random(shape).astype(dtype)
    if complex_:
        array = (array + 1j * rng.random(shape)).astype(np.result_type(dtype, np.complex64))
    axes = []
    n_ens = len(shape) - 2
    if n_ens >= 1:
        axes.append(FrozenPhononsAxis(_ensemble_mean=True))
    if n_ens >= 2:
        axes.append(ParameterAxis(label="C10", units="Å", values=tuple(float(v) for v in range(shape[1]))))
    for _ in range(n_ens - 2):
        axes.append(ParameterAxis(label="t", values=tuple(range(shape[len(axes)]))))
    return Images(array, sampling=sampling, ensemble_axes_metadata=axes, metadata={"energy": 200e3, "label": "intensity", "units": "arb. unit"})
