"""Every operation, eagerly and lazily, on the strict fake GPU.

For each entry of :data:`.operations.OPS` the input is moved with ``to_gpu()`` (lazy inputs get
a per-block upload), the operation runs, and the test asserts that

* the result (and, lazily, its declared chunk type) is on the device, and lazy stays lazy with
  no dask task run while the graph is built;
* nothing moved to the host: no ``asnumpy``/``.get()`` and no host sync of a value
  (``float()``, ``bool()``, ``.item()``) was logged by the fake device, whose arrays also refuse
  implicit conversion to numpy outright;
* the values equal the CPU result (random draws: reproducible, lazy == eager, same mean).

Known leaks in operation modules are strict xfails naming the file and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages._core import backend

from . import fake_device
from .checks import assert_on_device, assert_same_values, compute, cpu_result, result_array, run_on_device
from .operations import Op, eager_ops, lazy_ops


def _params(ops: list[Op]) -> list:
    out = []
    for op in ops:
        marks = [pytest.mark.xfail(strict=True, reason=f"known host leak: {op.leak}")] if op.leak else []
        out.append(pytest.param(op, id=op.id, marks=marks))
    return out


def _check_random(op: Op, result: object, expected: object, lazy: bool) -> None:
    """Seeded draws on the device: reproducible, chunking-independent, the CPU's mean."""
    host = fake_device.host_copy
    values = host(result_array(compute(result)))
    again = host(result_array(compute(run_on_device(op, lazy))))
    np.testing.assert_array_equal(values, again, err_msg=f"{op.id}: same seed, different draws")
    if lazy:
        eager = host(result_array(run_on_device(op, lazy=False)))
        np.testing.assert_array_equal(values, eager, err_msg=f"{op.id}: lazy draws differ from eager draws")
    reference = backend.to_numpy(result_array(expected))
    assert values.shape == reference.shape and values.dtype == reference.dtype
    assert abs(values.mean() / reference.mean() - 1) < 0.03, f"{op.id}: mean {values.mean()} vs CPU {reference.mean()}"


@pytest.mark.parametrize("op", _params(eager_ops()))
def test_eager_operation_stays_on_the_device(op: Op, fake_gpu: fake_device.TransferLog) -> None:
    expected = cpu_result(op)
    fake_gpu.reset()
    result = run_on_device(op, lazy=False)
    assert not fake_gpu.leaks, f"{op.id} moved data to the host: {fake_gpu.describe()}"
    assert_on_device(result, fake_device.on_device, op.id)
    if op.compare == "random":
        _check_random(op, result, expected, lazy=False)
    else:
        assert_same_values(result, expected, fake_device.host_copy, op.atol, op.id, values=op.compare == "values")


@pytest.mark.parametrize("op", _params(lazy_ops()))
def test_lazy_operation_stays_on_the_device(op: Op, fake_gpu: fake_device.TransferLog) -> None:
    expected = cpu_result(op, lazy=True)
    fake_gpu.reset()
    result = run_on_device(op, lazy=True)
    assert_on_device(result, fake_device.on_device, op.id)
    computed = compute(result)
    assert not fake_gpu.leaks, f"{op.id} moved data to the host: {fake_gpu.describe()}"
    assert_on_device(computed, fake_device.on_device, f"{op.id} (computed)")
    if op.compare == "random":
        _check_random(op, computed, expected, lazy=True)
    else:
        assert_same_values(computed, expected, fake_device.host_copy, op.atol, op.id, values=op.compare == "values")


def test_the_checks_catch_a_leaking_operation(fake_gpu: fake_device.TransferLog) -> None:
    """A stack function that round-trips through the host is caught, eagerly and lazily."""
    from napari_temimages._core.backend import get_backend
    from napari_temimages._core.ensemble import map_images

    from .operations import real_images

    def leaky(stack):
        backend = get_backend(stack)
        return backend.asarray(backend.asnumpy(stack) * 2)

    def implicit(stack):
        return np.asarray(stack) * 2

    im = real_images().to_gpu()
    fake_gpu.reset()
    map_images(leaky, im.array)
    assert len(fake_gpu.to_host) == 1
    fake_gpu.reset()
    compute(map_images(leaky, im.lazy((1, 2, -1, -1)).array))
    assert len(fake_gpu.to_host) == 6  # one per block
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        map_images(implicit, im.array)
    fake_gpu.reset()
    float(im.array[0, 0, 0, 0])
    assert [t.kind for t in fake_gpu.syncs] == ["float"]
