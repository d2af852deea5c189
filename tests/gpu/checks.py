"""Comparison helpers shared by the fake-device and the real-CuPy tests."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from napari_temimages._core import backend
from napari_temimages._core.array_object import ArrayObject

from ..helpers import TaskCounter
from .operations import Op

#: Results that are eager by design even for lazy input (they compute, or iterate computed blocks).
EAGER_RESULTS = {"compute", "generate_blocks", "ensemble_blocks", "generate_ensemble"}


def lazy_chunks(obj: ArrayObject) -> tuple:
    """One member of axis 0 and two of axis 1 per chunk; everything else whole."""
    return (1, 2) + (-1,) * (obj.ndim - 2)


def device_input(op: Op, lazy: bool) -> ArrayObject:
    """The op's input on the GPU: eager ``to_gpu()``, or lazy chunks with a per-block upload."""
    obj = op.make()
    if lazy:
        obj = obj.lazy(lazy_chunks(obj))
    return obj.to_gpu()


def cpu_result(op: Op, lazy: bool = False) -> Any:
    """The CPU reference (computed; from a lazy input for lazy-only operations or ``lazy``)."""
    obj = op.make()
    if lazy or op.lazy_only:
        obj = obj.lazy(lazy_chunks(obj))
    result = op.run(obj)
    if isinstance(result, ArrayObject) and result.is_lazy:
        result = result.compute()
    return result


def result_array(result: Any) -> Any:
    return result.array if isinstance(result, ArrayObject) else result


def run_on_device(op: Op, lazy: bool) -> Any:
    """Run ``op`` on its device input; lazily, check that building the graph computes nothing."""
    obj = device_input(op, lazy)
    if not lazy:
        return op.run(obj)
    with TaskCounter() as counter:
        result = op.run(obj)
    if op.name not in EAGER_RESULTS:
        assert backend.is_lazy(result_array(result)), f"{op.id}: lazy input gave an eager result"
        assert counter.count == 0, f"{op.id}: building the lazy result ran {counter.count} dask tasks"
    return result


def assert_on_device(result: Any, owns: Callable[[Any], bool], what: str) -> None:
    """The result (object or bare array; lazy: its chunks' meta) lives on the GPU."""
    if isinstance(result, ArrayObject):
        assert result.device == "gpu", f"{what}: result.device is {result.device!r}"
    array = result_array(result)
    eager = array._meta if backend.is_lazy(array) else array
    assert owns(eager), f"{what}: result array is {type(eager).__name__}, not a device array"


def compute(result: Any) -> Any:
    if isinstance(result, ArrayObject):
        return result.compute() if result.is_lazy else result
    return result.compute() if backend.is_lazy(result) else result


def assert_same_values(
    device: Any, cpu: Any, host: Callable[[Any], np.ndarray], atol: float, what: str, values: bool = True
) -> None:
    """Same type, shape, dtype, axes and metadata; values equal within ``atol * max|cpu|``
    (``values=False``: unseeded random results, everything but the values)."""
    if isinstance(cpu, ArrayObject):
        assert type(device) is type(cpu), f"{what}: {type(device).__name__} != {type(cpu).__name__}"
        assert device.axes_metadata == cpu.axes_metadata, f"{what}: axes differ"
        assert device.metadata.keys() == cpu.metadata.keys(), f"{what}: metadata keys differ"
    got, expected = host(result_array(device)), backend.to_numpy(result_array(cpu))
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    if not values:
        assert np.isfinite(got).all(), f"{what}: non-finite values"
        return
    scale = float(np.nanmax(np.abs(expected))) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol * max(scale, 1e-30), equal_nan=True, err_msg=what)
