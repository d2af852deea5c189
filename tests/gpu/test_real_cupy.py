"""The operations table on a real CUDA GPU with CuPy.

Runs wherever ``cupy`` imports and ``cupy.cuda.is_available()``; everywhere else every test here
is skipped with the reason (CuPy missing / not importable / no CUDA device). Host transfers are
counted through the registered CuPy backend's ``asnumpy`` and ``cupy.asnumpy`` itself (CuPy
arrays refuse implicit conversion to numpy on their own). Values are compared with the CPU
result within 1e-4 of its largest value (cuFFT and cupyx splines round differently from
pocketfft and scipy).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator

import numpy as np
import pytest

from napari_temimages._core import backend

from .checks import assert_on_device, assert_same_values, compute, cpu_result, result_array, run_on_device
from .operations import INPUTS, Op, eager_ops, lazy_ops


def _probe_cupy() -> tuple[Any, str]:
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CUDA runtime that fails to load
        return None, (f"CuPy is not available ({type(exc).__name__}: {exc}); real-GPU tests need a CUDA 12 "
                      "machine with pip install 'napari-temimages[gpu]'")
    try:
        if not cupy.cuda.is_available():
            return None, "CuPy is installed but finds no CUDA device (cupy.cuda.is_available() is False)"
    except Exception as exc:
        return None, f"CuPy cannot reach a CUDA device ({type(exc).__name__}: {exc})"
    return cupy, ""


cupy, REASON = _probe_cupy()
if cupy is None:
    pytest.skip(REASON, allow_module_level=True)
REAL_ATOL = 1e-4


@dataclasses.dataclass
class HostCopies:
    backend: int = 0
    module: int = 0

    @property
    def total(self) -> int:
        return self.backend + self.module


@pytest.fixture
def cupy_gpu(monkeypatch) -> Iterator[HostCopies]:
    """The real CuPy backend as ``"gpu"``, with every ``asnumpy`` counted."""
    real = backend._cupy_backend()
    counts = HostCopies()
    original = cupy.asnumpy

    def via_backend(array: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        counts.backend += 1
        return original(array, *args, **kwargs)

    def via_module(array: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        counts.module += 1
        return original(array, *args, **kwargs)

    previous = [b for b in backend._BACKENDS if b.device == "gpu"]
    backend.register_backend(dataclasses.replace(real, asnumpy=via_backend))
    monkeypatch.setattr(cupy, "asnumpy", via_module)
    try:
        yield counts
    finally:
        backend.unregister_backend("gpu")
        for b in previous:
            backend.register_backend(b)


def _host(array: Any) -> np.ndarray:
    if backend.is_lazy(array):
        array = array.compute()
    return array.get() if isinstance(array, cupy.ndarray) else np.asarray(array)


def _owns(array: Any) -> bool:
    if backend.is_lazy(array):
        array = array._meta
    return isinstance(array, cupy.ndarray)


def _params(ops: list[Op]) -> list:
    return [
        pytest.param(op, id=op.id, marks=[pytest.mark.xfail(strict=True, reason=f"known host leak: {op.leak}")]
                     if op.leak else [])
        for op in ops
    ]


def _check(op: Op, result: Any, expected: Any) -> None:
    if op.compare == "random":
        values = _host(result_array(compute(result)))
        reference = backend.to_numpy(result_array(expected))
        assert values.shape == reference.shape and values.dtype == reference.dtype
        assert abs(values.mean() / reference.mean() - 1) < 0.03
    else:
        assert_same_values(compute(result), expected, _host, max(op.atol, REAL_ATOL), op.id,
                           values=op.compare == "values")


@pytest.mark.parametrize("op", _params(eager_ops()))
def test_eager_operation_on_cupy(op: Op, cupy_gpu: HostCopies) -> None:
    expected = cpu_result(op)
    result = run_on_device(op, lazy=False)
    assert_on_device(result, _owns, op.id)
    assert cupy_gpu.total == 0, f"{op.id}: {cupy_gpu} device -> host copies"
    _check(op, result, expected)


@pytest.mark.parametrize("op", _params(lazy_ops()))
def test_lazy_operation_on_cupy(op: Op, cupy_gpu: HostCopies) -> None:
    expected = cpu_result(op, lazy=True)
    result = run_on_device(op, lazy=True)
    assert_on_device(result, _owns, op.id)
    computed = compute(result)
    assert_on_device(computed, _owns, f"{op.id} (computed)")
    assert cupy_gpu.total == 0, f"{op.id}: {cupy_gpu} device -> host copies"
    _check(op, computed, expected)


@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_transfers_on_cupy(kind: str, cupy_gpu: HostCopies) -> None:
    cpu = INPUTS[kind]()
    for device in ("gpu", "cupy", "cuda:0"):
        gpu = cpu.to_gpu(device)
        assert gpu.device == "gpu" and isinstance(gpu.array, cupy.ndarray)
        np.testing.assert_array_equal(gpu.to_cpu().array, cpu.array)
    lazy = cpu.lazy((1, 2) + (-1,) * (cpu.ndim - 2)).to_gpu()
    assert lazy.is_lazy and lazy.device == "gpu" and isinstance(lazy.compute().array, cupy.ndarray)
    assert lazy.to_cpu().device == "cpu"
    np.testing.assert_array_equal(lazy.to_cpu().compute().array, cpu.array)
    with pytest.raises(TypeError):
        np.asarray(gpu.array)  # CuPy itself refuses implicit conversion


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_boundaries_on_cupy(lazy: bool, cupy_gpu: HostCopies, tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from napari_temimages import from_zarr
    from napari_temimages.layer_data import to_layer_data

    cpu = INPUTS["images"]()
    if lazy:
        cpu = cpu.lazy((1, 2, -1, -1))
    gpu = cpu.to_gpu()
    shown = gpu.show().artists.flat[0].get_array()
    np.testing.assert_array_equal(np.asarray(shown), np.asarray(cpu.show().artists.flat[0].get_array()))
    plt.close("all")
    data = to_layer_data(gpu)[0][0]
    np.testing.assert_array_equal(backend.to_numpy(data), backend.to_numpy(to_layer_data(cpu)[0][0]))
    back = from_zarr(gpu.to_zarr(str(tmp_path / "gpu.zarr"))).compute()
    np.testing.assert_array_equal(back.array, backend.to_numpy(cpu.array))
    assert cupy_gpu.total > 0 and gpu.device == "gpu"


def test_benchmark_runs_on_cupy(capsys) -> None:
    """The CPU-vs-GPU benchmark at its smallest size (a smoke test on the real device)."""
    from benchmarks import gpu_compare

    assert gpu_compare.main(["--size", "tiny", "--repeat", "1", "--only", "gaussian_filter",
                             "--only", "diffractograms", "--only", "to_*"]) == 0
    assert "| gaussian_filter | eager |" in capsys.readouterr().out
