"""Evaluate dask arrays: local schedulers or an active ``dask.distributed`` client,
with optional progress bar and profilers."""

from __future__ import annotations

from typing import Any


def _active_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return None
    try:
        return default_client()
    except ValueError:
        return None


def compute_array(
    array: Any,
    progress_bar: bool = False,
    profiler: bool = False,
    resource_profiler: bool = False,
    **kwargs: Any,
) -> tuple[Any, tuple]:
    """Compute ``array``; returns ``(result, profilers)``.

    Under an active distributed client (and no explicit ``scheduler=``) the graph runs on the
    cluster, with ``distributed.progress`` as the progress bar. Otherwise dask's local scheduler
    runs it, with ``dask.diagnostics.ProgressBar`` / ``Profiler`` / ``ResourceProfiler``.
    """
    import contextlib

    import dask

    client = None if "scheduler" in kwargs else _active_client()
    if client is not None and not (profiler or resource_profiler):
        future = client.compute(array, **kwargs)
        if progress_bar:
            from distributed import progress

            progress(future)
        return future.result(), ()

    from dask.diagnostics import Profiler, ProgressBar, ResourceProfiler

    profilers = []
    with contextlib.ExitStack() as stack:
        if progress_bar:
            stack.enter_context(ProgressBar())
        if profiler:
            profilers.append(stack.enter_context(Profiler()))
        if resource_profiler:
            profilers.append(stack.enter_context(ResourceProfiler(dt=0.05)))
        (result,) = dask.compute(array, **kwargs)
    return result, tuple(profilers)
