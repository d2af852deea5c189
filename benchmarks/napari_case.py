"""napari cases: opening a lazy (8 × 8 × 1024 × 1024) abTEM zarr, and one dims-slider step.

* ``napari_open``: ``viewer.open(path, plugin="napari-temimages")`` (our reader: metadata, lazy
  dask array, layer attributes) until the layer is in the viewer and Qt events are processed.
  Floor: napari's own ``viewer.add_image(da.from_zarr(array0), contrast_limits=(0, 1), scale=...)``
  — the least a viewer must do to show the same file lazily. No abTEM column (abTEM has no napari).
* ``napari_step``: ``viewer.dims.set_current_step(0, k)`` (k cycling) + processing the Qt events
  (slicing the dask array, reading and decompressing the chunk(s), texture upload, redraw).
  Floor: the same on the floor's layer, in its own viewer.
* ``*_abtemfile``: the same on a file written by abTEM 1.0.11 (one 512 MiB chunk: every slider step
  decompresses the whole store) — informational, no target.

The file is written once in setup (by our ``to_zarr`` of a lazy array; abTEM's for ``_abtemfile``).
Runs in a subprocess under Xvfb (``xvfb-run``) when there is no display. napari is imported only
here, at call time.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from . import cases as C

_APP = None


def _napari():
    global _APP
    if "NAPARI_CONFIG" not in os.environ:
        cfg = tempfile.mkdtemp(prefix="temimages-bench-napari-")
        os.environ["NAPARI_CONFIG"] = os.path.join(cfg, "settings.yaml")
    import napari
    from qtpy.QtWidgets import QApplication

    if _APP is None:
        _APP = QApplication.instance() or QApplication([])
    return napari


def _process_events() -> None:
    from qtpy.QtWidgets import QApplication

    QApplication.processEvents()


def _lazy_stack(shape: tuple):
    import dask.array as da

    return da.random.default_rng(7).random(shape, dtype=np.float32, chunks=(1, 1) + tuple(shape[2:]))


def _write_file(state: dict, who: str) -> str:
    shape = state["shape"]
    # shared between the open and step cases of one run (the parent sets the cache directory)
    folder = os.environ.get("TEMIMAGES_BENCH_CACHE") or state["tmp"]
    path = os.path.join(folder, f"{who}4d_{'x'.join(map(str, shape))}.zarr")
    if os.path.exists(path):
        return path
    x = _lazy_stack(shape)
    if who == "ours":
        core = C.ours()
        axes = [
            core.ParameterAxis(label="C10", values=tuple(float(v) for v in np.linspace(-50, 50, shape[0])), units="Å"),
            core.FrozenPhononsAxis(_ensemble_mean=True),
        ]
        core.Images(x, sampling=C.SAMPLING, ensemble_axes_metadata=axes).to_zarr(path)
    else:
        a = C.abtem()
        from abtem.core.axes import FrozenPhononsAxis, ParameterAxis

        axes = [
            ParameterAxis(label="C10", values=tuple(float(v) for v in np.linspace(-50, 50, shape[0])), units="Å"),
            FrozenPhononsAxis(_ensemble_mean=True),
        ]
        a.Images(x, sampling=C.SAMPLING, ensemble_axes_metadata=axes).to_zarr(path)
    return path


def _setup(who: str):
    def setup(size: dict) -> dict:
        napari = _napari()
        state = {"shape": tuple(size["napari"]), "tmp": tempfile.mkdtemp(prefix="temimages-bench-napari-"), "viewers": []}
        state["napari"] = napari
        state["who"] = who
        try:
            state["path"] = _write_file(state, who)
        except Exception as exc:  # reported as the implementations' "missing" reason
            state["path_error"] = exc
        return state

    return setup


def _viewer(state: dict):
    napari = state["napari"]
    viewer = napari.Viewer(show=bool(os.environ.get("DISPLAY")))
    state["viewers"].append(viewer)
    return viewer


def _require_path(state: dict) -> str:
    if "path" not in state:
        raise state.get("path_error") or RuntimeError("no file")
    return state["path"]


def _floor_layer(viewer, path: str):
    import dask.array as da
    import zarr

    arr = zarr.open_array(path, path="array0", mode="r")
    data = da.from_zarr(arr)
    return viewer.add_image(data, contrast_limits=(0.0, 1.0), scale=(1, 1, C.SAMPLING, C.SAMPLING), name="floor")


def _ours_open(state: dict) -> C.Impl:
    path = _require_path(state)
    viewer = _viewer(state)

    def call(s):
        layers = viewer.open(path, plugin="napari-temimages")
        _process_events()
        return layers

    return C.Impl(call, before=lambda s: viewer.layers.clear())


def _floor_open(state: dict) -> C.Impl:
    path = _require_path(state)
    viewer = _viewer(state)

    def call(s):
        layer = _floor_layer(viewer, path)
        _process_events()
        return layer

    return C.Impl(call, before=lambda s: viewer.layers.clear())


def _stepper(viewer, state: dict) -> C.Impl:
    n = state["shape"][0]
    counter = [0]

    def call(s):
        counter[0] = (counter[0] + 1) % n
        viewer.dims.set_current_step(0, counter[0])
        _process_events()
        return None

    return C.Impl(call)


def _ours_step(state: dict) -> C.Impl:
    path = _require_path(state)
    viewer = _viewer(state)
    viewer.open(path, plugin="napari-temimages")
    _process_events()
    return _stepper(viewer, state)


def _floor_step(state: dict) -> C.Impl:
    path = _require_path(state)
    viewer = _viewer(state)
    _floor_layer(viewer, path)
    _process_events()
    return _stepper(viewer, state)


def _teardown(state: dict) -> None:
    for viewer in state.get("viewers", []):
        try:
            viewer.close()
        except Exception:
            pass
    _process_events()
    shutil.rmtree(state.get("tmp", ""), ignore_errors=True)


def cases() -> list:
    out = []
    for who, suffix in (("ours", ""), ("abtem", "_abtemfile")):
        out.append(
            C.Case(
                "napari_open" + suffix,
                "napari",
                _setup(who),
                {"ours": _ours_open, "floor": _floor_open},
                target="napari_open" if who == "ours" else "",
                isolate=True,
                checksum=False,
                teardown=_teardown,
                note=f"file written by {'our' if who == 'ours' else 'abTEM'} to_zarr",
            )
        )
        out.append(
            C.Case(
                "napari_step" + suffix,
                "napari",
                _setup(who),
                {"ours": _ours_step, "floor": _floor_step},
                target="napari_step" if who == "ours" else "",
                isolate=True,
                checksum=False,
                teardown=_teardown,
                note=f"file written by {'our' if who == 'ours' else 'abTEM'} to_zarr",
            )
        )
    return out
