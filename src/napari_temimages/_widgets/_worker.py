"""Run slow work off the main thread, with napari's progress bar and a cancel button.

:func:`run_job` starts ``work(report, token)`` in a worker thread (superqt's ``FunctionWorker``
on Qt's global thread pool) and returns a :class:`Job`. While it runs:

* a :class:`napari.utils.progress.cancelable_progress` bar shows in napari's activity dock
  (its *Cancel* button cancels the job); widgets show their own *Cancel* button too;
* ``report(done, total)`` (thread safe) moves the bar; :func:`compute` reports dask's task count;
* cancelling sets ``token`` and calls ``worker.quit()``: the dask callback of :func:`compute`
  aborts the computation at the next task and the result, if any, is thrown away.

The callbacks (``on_result``, ``on_error``, ``on_finish``) always run in the main thread.
Nothing here knows about images: widgets pass closures that call the core model.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from dask.callbacks import Callback
from napari.utils.progress import cancelable_progress
from qtpy.QtCore import QObject, Signal
from superqt.utils import create_worker

__all__ = ["Cancelled", "CancelToken", "DaskProgress", "Job", "compute", "run_job"]


class Cancelled(Exception):
    """Raised inside a job when the user cancelled it."""


class CancelToken:
    """A thread-safe cancel flag checked by the work (and by :class:`DaskProgress`)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the job was cancelled."""
        if self._event.is_set():
            raise Cancelled()


class DaskProgress(Callback):
    """dask local-scheduler callback: reports finished tasks, aborts when cancelled.

    Passed explicitly (``dask.compute(..., callbacks=[cb])``), never entered globally, so that
    other computations (napari slicing a lazy layer) are not counted or aborted.
    """

    def __init__(self, token: CancelToken, report: Callable[[int, int], None]):
        super().__init__()
        self.token = token
        self.report = report
        self.total = 0
        self.done = 0

    def _start_state(self, dsk: Any, state: Any) -> None:
        self.total = sum(len(state.get(k, ())) for k in ("ready", "waiting", "running")) + len(
            state.get("finished", ())
        )
        self.done = len(state.get("finished", ()))
        self.report(self.done, self.total)

    def _pretask(self, key: Any, dsk: Any, state: Any) -> None:
        self.token.check()

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        self.done += 1
        self.report(self.done, self.total)


def _distributed_client() -> Any:
    try:
        from distributed import default_client

        return default_client()
    except Exception:
        return None


def compute(obj: Any, token: CancelToken, report: Callable[[int, int], None]) -> Any:
    """``obj.compute()`` (a measurement object or a dask array) with progress and cancel.

    On dask's local schedulers the :class:`DaskProgress` callback reports every task and aborts
    on cancel. Under a ``dask.distributed`` client the graph runs on the cluster: no task
    progress, and a cancel takes effect when the computation returns (its result is dropped).
    """
    token.check()
    if obj is None or not (getattr(obj, "is_lazy", False) or hasattr(obj, "dask")):
        return obj
    kwargs: dict = {}
    if _distributed_client() is None:
        kwargs["callbacks"] = [DaskProgress(token, report)._callback]
    if hasattr(obj, "is_lazy"):
        result = obj.compute(**kwargs)
    else:
        import dask

        (result,) = dask.compute(obj, **kwargs)
    token.check()
    return result


class _Progress(cancelable_progress):
    """napari's cancellable progress bar whose Cancel button cancels the :class:`Job`."""

    def __init__(self, job: Job, **kwargs: Any):
        self._job = job
        super().__init__(**kwargs)

    def cancel(self) -> None:
        super().cancel()
        job = self._job
        if job is not None:
            job.cancel()


class _Relay(QObject):
    """Carries progress reports from the worker thread to the main thread (queued signal)."""

    progressed = Signal(int, int)


class Job:
    """A running (or finished) job; see :func:`run_job`."""

    def __init__(self, description: str):
        self.description = description
        self.token = CancelToken()
        self.worker: Any = None
        self.progress: _Progress | None = None
        self.running = False
        self.cancelled = False
        self.succeeded = False
        self.error: BaseException | None = None
        self.result: Any = None
        self._relay = _Relay()
        self._relay.progressed.connect(self._on_progress)
        self._last = (-1, -1)

    # -- thread side
    def report(self, done: int, total: int) -> None:
        """Thread-safe progress report (throttled to whole percents)."""
        total = max(int(total), 0)
        done = min(max(int(done), 0), total) if total else 0
        key = (int(100 * done / total) if total else -1, total)
        if key == self._last:
            return
        self._last = key
        self._relay.progressed.emit(done, total)

    # -- main-thread side
    def _on_progress(self, done: int, total: int) -> None:
        pbar = self.progress
        if pbar is None or not self.running:
            return
        if pbar.total != total:
            pbar.total = total
        if done > pbar.n:
            pbar.update(done - pbar.n)

    def cancel(self) -> None:
        """Cancel: the work stops at the next dask task (or yield) and its result is dropped."""
        if not self.running:
            return
        self.cancelled = True
        self.token.cancel()
        if self.worker is not None:
            self.worker.quit()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block (processing Qt events) until the job finished; True if it did (for tests/scripts)."""
        import time

        from qtpy.QtWidgets import QApplication

        end = time.monotonic() + timeout_ms / 1000
        while self.running and time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.005)
        QApplication.processEvents()
        return not self.running


def run_job(
    work: Callable[[Callable[[int, int], None], CancelToken], Any],
    *,
    description: str,
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    on_finish: Callable[[Job], None] | None = None,
) -> Job:
    """Start ``work(report, token)`` in a worker thread; see the module docstring."""
    job = Job(description)
    with cancelable_progress._all_instances.events.changed.blocker():
        # gui=True: the bar lives in napari's activity dock, tqdm prints nothing to the terminal
        job.progress = _Progress(job, total=0, desc=description, gui=True, leave=False)

    def run() -> Any:
        return work(job.report, job.token)

    worker = create_worker(run, _start_thread=False, _ignore_errors=True)
    job.worker = worker

    def started() -> None:
        cancelable_progress._all_instances.events.changed(added={job.progress}, removed={})

    def returned(result: Any) -> None:
        if job.cancelled:
            return
        job.result = result
        job.succeeded = True
        on_result(result)

    def errored(exc: BaseException) -> None:
        if isinstance(exc, Cancelled) or job.cancelled:
            job.cancelled = True
            return
        job.error = exc
        on_error(exc)

    def finished() -> None:
        job.running = False
        if job.progress is not None:
            job.progress._job = None
            job.progress.close()
        if on_finish is not None:
            on_finish(job)

    worker.started.connect(started)
    worker.returned.connect(returned)
    worker.errored.connect(errored)
    worker.finished.connect(finished)
    job.running = True
    worker.start()
    return job
