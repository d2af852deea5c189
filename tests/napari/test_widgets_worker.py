"""Long work runs in a worker thread with napari's progress bar and a cancel button; the console
namespace; every manifest widget opens from napari's plugin machinery."""

from __future__ import annotations

import time
import weakref

import dask.array as da
import numpy as np
import pytest

from napari_temimages import Images
from napari_temimages._widgets import _worker
from napari_temimages._widgets import operations as ops
from napari_temimages._widgets.console import EXAMPLE, ConsoleWidget, namespace
from napari_temimages._widgets.operations import OPERATIONS

pytestmark = pytest.mark.gui




def _slow_lazy(n: int = 40, delay: float = 0.05) -> Images:
    """Lazy images whose every member takes ``delay`` seconds to read."""

    def slow(block):
        time.sleep(delay)
        return block

    array = da.ones((n, 32, 32), chunks=(1, 32, 32), dtype=np.float32).map_blocks(slow, dtype=np.float32)
    return Images(array, sampling=0.1, metadata={"label": "intensity"})


def _shown(widget, gui) -> bool:
    return widget.native.isVisibleTo(gui.native)


def _progress_bars():
    from napari.utils.progress import progress

    return [p for p in progress._all_instances if p.desc.startswith("Gaussian filter")]


def test_lazy_work_runs_in_a_worker_with_progress_and_cancel(viewer, qtbot, notifications):
    (layer,) = _slow_lazy().add_to_viewer(viewer, name="slow")
    names = [lay.name for lay in viewer.layers]
    gui = OPERATIONS["gaussian_filter"].make_widget()
    viewer.window.add_dock_widget(gui)
    gui.image.value = layer
    gui.sigma.value = 0.3

    # 1. the widget's Cancel button
    job = gui()
    assert isinstance(job, _worker.Job) and job.running
    assert _shown(gui.cancel_button, gui) and not gui.call_button.enabled
    (pbar,) = _progress_bars()
    assert type(pbar).__mro__[1].__name__ == "cancelable_progress"  # napari shows its Cancel button
    qtbot.waitUntil(lambda: pbar.n > 0, timeout=10_000)  # progress arrives while the work runs
    assert pbar.total > pbar.n
    # the viewer stays responsive: the main thread handles a timer while the worker computes
    ticks = []
    from qtpy.QtCore import QTimer

    QTimer.singleShot(10, lambda: ticks.append(job.running))
    qtbot.waitUntil(lambda: bool(ticks), timeout=2_000)
    assert ticks == [True]
    assert gui() is job  # a second click while running does not start another job
    gui.cancel_button.native.click()
    assert job.wait(10_000)
    assert job.cancelled and not job.succeeded
    assert [lay.name for lay in viewer.layers] == names  # nothing changed
    assert ("info", "Gaussian filter: cancelled; nothing changed") in notifications
    assert gui.status.value == "cancelled" and gui.call_button.enabled and not _shown(gui.cancel_button, gui)
    assert not _progress_bars()  # the bar is closed

    # 2. the Cancel button of napari's progress bar (activity dock)
    job = gui()
    qtbot.waitUntil(lambda: bool(_progress_bars()) and _progress_bars()[0].n > 0, timeout=10_000)
    from napari._qt.widgets.qt_progress_bar import QtLabeledProgressBar

    bar = QtLabeledProgressBar(prog=_progress_bars()[0])
    assert bar.cancel_button.isVisibleTo(bar)
    bar.cancel_button.click()
    assert job.wait(10_000) and job.cancelled
    bar.deleteLater()
    assert [lay.name for lay in viewer.layers] == names

    # 3. to completion: progress reaches the total, the result appears
    (small,) = _slow_lazy(n=6, delay=0.0).add_to_viewer(viewer, name="small")
    gui.image.value = small
    job = gui()
    totals = []
    job.progress.events.value.connect(lambda e: totals.append((job.progress.n, job.progress.total)))
    assert job.wait(30_000) and job.succeeded
    assert viewer.layers[-1].name == "small gaussian"
    np.testing.assert_allclose(np.asarray(viewer.layers[-1].data), 1.0, rtol=1e-6)
    assert not hasattr(viewer.layers[-1].data, "dask")


def test_dask_progress_aborts_only_its_own_computation():
    token = _worker.CancelToken()
    reports = []
    value = _worker.compute(da.ones((4, 8), chunks=(1, 8)).sum(), token, lambda d, t: reports.append((d, t)))
    assert value == 32 and reports[-1][0] == reports[-1][1] > 0
    token.cancel()
    with pytest.raises(_worker.Cancelled):
        _worker.compute(da.ones((4, 8), chunks=(1, 8)).sum(), token, lambda d, t: None)
    # other computations (e.g. napari slicing) are not affected by a cancelled job
    assert float(da.ones((4, 8), chunks=(1, 8)).sum().compute()) == 32.0


def test_large_eager_input_also_runs_in_a_worker_and_huge_results_stay_lazy(viewer, monkeypatch, notifications):
    monkeypatch.setattr(ops, "ASYNC_BYTES", 1000)
    obj = Images(np.random.default_rng(0).random((3, 20, 20)).astype(np.float32), sampling=0.2)
    (layer,) = obj.add_to_viewer(viewer, name="eager")
    gui = OPERATIONS["gaussian_filter"].make_widget()
    viewer.window.add_dock_widget(gui)
    gui.image.value = layer
    gui.sigma.value = 0.4
    job = gui()
    assert job is not None and job.wait(30_000) and job.succeeded
    np.testing.assert_allclose(np.asarray(viewer.layers[-1].data), obj.gaussian_filter(0.4).array.swapaxes(-1, -2))

    # a lazy result larger than COMPUTE_BYTES is not computed: it stays lazy, and the user is told
    monkeypatch.setattr(ops, "COMPUTE_BYTES", 1000)
    (lazy_layer,) = obj.lazy().add_to_viewer(viewer, name="lazy")
    gui.image.value = lazy_layer
    job = gui()
    assert job.wait(30_000) and job.succeeded
    out = viewer.layers[-1]
    assert out.name == "lazy gaussian" and hasattr(out.data, "dask")
    np.testing.assert_allclose(np.asarray(out.data), obj.gaussian_filter(0.4).array.swapaxes(-1, -2), rtol=1e-6)
    assert ("info", "Gaussian filter: the result (0.0 GiB) is kept lazy") in notifications


def test_console_namespace_and_every_manifest_widget_opens(viewer):
    from npe2 import PluginManifest

    import napari_temimages

    obj = Images(np.random.default_rng(0).random((16, 12)).astype(np.float32), sampling=0.25)
    obj.add_to_viewer(viewer, name="img")
    manifest = PluginManifest._from_package_or_name("napari-temimages")
    names = [w.display_name for w in manifest.contributions.widgets]
    assert len(names) == len(OPERATIONS) + 3
    # the Layers menus have a "TEM images" submenu with the widgets
    from napari._app_model import get_app_model

    app = get_app_model()
    for group, command in [("filter", "gaussian_filter"), ("transform", "crop"), ("measure", "line_profile_dock"),
                           ("project", "ensemble_statistic"), ("data", "to_device")]:
        (sub,) = [i for i in app.menus.get_menu(f"napari/layers/{group}")
                  if getattr(i, "submenu", None) == f"napari-temimages.{group}"]
        assert sub.title == "TEM images"
        ids = [i.command.id for i in app.menus.get_menu(f"napari-temimages.{group}") if hasattr(i, "command")]
        assert f"napari-temimages.{command}_widget" in ids
    for name in names:  # what the Layers/Plugins menus do
        dock, widget = viewer.window.add_plugin_dock_widget("napari-temimages", name)
        assert widget is not None and dock.widget() is not None, name
        runner = getattr(widget, "_temimages_runner", None)
        assert runner is None or name.startswith(runner.op.title.split(" ")[0]), name

    # the console gets napari_temimages and Images (napari pushes the backlog when it opens)
    pushed = {}
    for entry in viewer.window._qt_viewer.console_backlog:
        pushed.update({k: v() if isinstance(v, weakref.ref) else v for k, v in entry.items()})
    assert pushed["napari_temimages"] is napari_temimages
    assert pushed["Images"] is napari_temimages.Images

    # the README / console example runs as written
    ns = {**namespace(), "viewer": viewer}
    viewer.layers.selection.active = viewer.layers["img"]
    exec(EXAMPLE.split("images.reduce_ensemble")[0], ns)
    assert viewer.layers[-1].name == "DiffractionPatterns" or "1 / angstrom" in str(viewer.layers[-1].units[-1])
    assert isinstance(ns["images"], napari_temimages.Images) and ns["images"] == obj
    widget = [w for w in viewer.window.dock_widgets.values() if isinstance(w, ConsoleWidget)]
    assert widget and "Images.from_layer" in widget[0].example.toPlainText()
