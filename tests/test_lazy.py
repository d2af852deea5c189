"""Lazy means lazy: every model method on a dask-backed object builds a graph and computes
nothing; compute() gives the eager answer, shows progress, profiles, and runs under
dask.distributed (threads and processes)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_temimages import Images, ParameterAxis

from .helpers import TaskCounter, make_images

METHODS = {
    "getitem": lambda im: im[1],
    "getitem_list": lambda im: im[:, [0, 2]],
    "expand_dims": lambda im: im.expand_dims(0),
    "squeeze": lambda im: im[:1].squeeze(),
    "mean": lambda im: im.mean(0),
    "sum": lambda im: im.sum((0, 1)),
    "std": lambda im: im.std(1),
    "min": lambda im: im.min(0),
    "max": lambda im: im.max(0, keepdims=True),
    "mean_all": lambda im: im.mean(),
    "reduce_ensemble": lambda im: im.reduce_ensemble(),
    "reduce_weighted": lambda im: im.set_ensemble_axes_metadata(
        ParameterAxis(label="C10", values=(0, 1, 2, 3), weights=(1, 2, 3, 4)), 1
    ).reduce_ensemble((0, 1)),
    "normalize_ensemble": lambda im: im.normalize_ensemble(),
    "normalize_ptp": lambda im: im.normalize_ensemble("ptp", "min"),
    "abs": lambda im: im.abs(),
    "relative_difference": lambda im: im.relative_difference(im * 0.5, 0.1),
    "add": lambda im: im + im,
    "radd": lambda im: 1 + im,
    "mul_array": lambda im: im * np.ones(im.base_shape, dtype=np.float32),
    "pow": lambda im: im**2,
    "apply_func": lambda im: im.apply_func(lambda m: m.array * 2),
    "rechunk": lambda im: im.rechunk((1,)),
    "no_base_chunks": lambda im: im.rechunk((1, 1, 3, 3)).no_base_chunks(),
    "to_cpu": lambda im: im.to_cpu(),
    "copy_to_device": lambda im: im.copy_to_device("cpu"),
    "to_measurement_ensemble": lambda im: im.to_measurement_ensemble(),
}

COMPLEX_METHODS = {
    "real": lambda im: im.real(),
    "imag": lambda im: im.imag(),
    "phase": lambda im: im.phase(),
    "intensity": lambda im: im.intensity(),
}


LAZY_ONLY = {"rechunk", "no_base_chunks"}


def _check_lazy(make, fn, lazy_only: bool = False) -> None:
    eager = make()
    lazy = make().lazy(chunks=(1, 2, -1, -1))
    with TaskCounter() as counter:
        result = fn(lazy)
    assert counter.count == 0, "a lazy method computed something"
    assert result.is_lazy
    declared = result.dtype
    computed = result.compute()
    assert not computed.is_lazy and computed.dtype == declared
    expected = eager if lazy_only else fn(eager)
    assert type(computed) is type(expected) and computed.shape == expected.shape
    np.testing.assert_allclose(computed.array, expected.array, rtol=1e-5, atol=1e-6, equal_nan=True)
    assert [type(a) for a in computed.axes_metadata] == [type(a) for a in expected.axes_metadata]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_stays_lazy(name) -> None:
    _check_lazy(make_images, METHODS[name], lazy_only=name in LAZY_ONLY)


@pytest.mark.parametrize("name", sorted(COMPLEX_METHODS))
def test_complex_method_stays_lazy(name) -> None:
    _check_lazy(lambda: make_images(complex_=True), COMPLEX_METHODS[name])


def test_lazy_auto_chunks_keep_images_whole() -> None:
    lazy = make_images((40, 3, 64, 48)).lazy()
    assert lazy.array.chunks[-2:] == ((64,), (48,))
    assert lazy.ensure_lazy() is lazy
    assert lazy.ensure_lazy(chunks=(5, 1, -1, -1)).array.chunks[0] == (5,) * 8


def test_rechunk_completes_short_tuples_and_refuses_eager() -> None:
    lazy = make_images().lazy()
    assert lazy.rechunk((1,)).array.chunks == ((1, 1, 1), (4,), (9,), (8,))
    with pytest.raises(RuntimeError, match="eager"):
        make_images().rechunk((1,))


def test_no_base_chunks() -> None:
    im = make_images()
    assert im.no_base_chunks() is im
    lazy = im.lazy()
    assert lazy.no_base_chunks() is lazy
    split = lazy.rechunk((1, 1, 3, 3))
    assert split.no_base_chunks().array.chunks[-2:] == ((9,), (8,))


def test_compute_returns_a_new_object() -> None:
    """abTEM's compute() mutates in place (Q7); ours leaves the lazy object lazy."""
    lazy = make_images().lazy()
    eager = lazy.compute()
    assert lazy.is_lazy and not eager.is_lazy
    assert eager.compute() is eager


def test_compute_progress_bar(capsys) -> None:
    make_images().lazy(chunks=(1, 1, -1, -1)).mean(0).compute(progress_bar=True)
    out = capsys.readouterr()
    assert "100%" in out.out + out.err


def test_compute_profilers() -> None:
    from dask.diagnostics import Profiler, ResourceProfiler

    result, profilers = make_images().lazy().mean(0).compute(profiler=True, resource_profiler=True)
    assert not result.is_lazy
    assert isinstance(profilers[0], Profiler) and isinstance(profilers[1], ResourceProfiler)
    assert len(profilers[0].results) > 0
    result, profilers = make_images().compute(profiler=True)
    assert profilers == ()


def test_compute_kwargs_reach_dask() -> None:
    result = make_images().lazy().mean(0).compute(scheduler="synchronous")
    np.testing.assert_allclose(result.array, make_images().array.mean(0), rtol=1e-6)


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_distributed_cluster(processes) -> None:
    from distributed import Client, LocalCluster

    eager = make_images((4, 3, 16, 12))
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None, memory_limit=0
    ) as cluster, Client(cluster):
        lazy = make_images((4, 3, 16, 12)).lazy(chunks=(1, -1, -1, -1))
        result = lazy.normalize_ensemble().reduce_ensemble().compute(progress_bar=True)
        weighted = lazy.set_ensemble_axes_metadata(
            ParameterAxis(label="C10", values=(0, 1, 2), weights=(1, 1, 2)), 1
        ).reduce_ensemble(1).compute()
    np.testing.assert_allclose(result.array, eager.normalize_ensemble().reduce_ensemble().array, rtol=1e-5)
    w = np.array([0.25, 0.25, 0.5], dtype=np.float32)
    np.testing.assert_allclose(weighted.array, (eager.array * w[None, :, None, None]).sum(1), rtol=1e-5)


def test_lazy_from_dask_array_directly() -> None:
    import dask.array as da

    im = Images(da.ones((2, 4, 4), chunks=(1, 4, 4)), 0.1)
    assert im.is_lazy and im.device == "cpu"
    assert float(im.mean(0).compute().array[0, 0]) == 1.0
