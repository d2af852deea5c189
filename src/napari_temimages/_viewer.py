"""Viewer set-up shared by the reader, sample data, ``add_to_viewer`` and the main job.

:func:`prepare_viewer` (idempotent) does two things to a napari viewer:

* points the 2D camera's vertical axis **up** (``viewer.scene.camera.orientation2d = ("up",
  "right")``), so that with the transposed layer view of :mod:`napari_temimages.layer_data`
  images appear as abTEM's ``show()`` draws them: x to the right, y up;
* installs the **ensemble readout**: the canvas text overlay (``viewer.canvas.overlays.text``) lists the current physical value of
  every ensemble axis of the visible napari-temimages layers ("C10 = −20 Å, Frozen phonons
  3 of 8"), ordinal and non-uniform axes included (napari's sliders show only step numbers).
  It follows the dims sliders, layer visibility and the layer list.

Only the viewer object passed in is used; napari is not imported at module level.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .layer_data import META_KEY, ensemble_readout, typographic_minus

__all__ = ["prepare_viewer", "prepare_current_viewer", "readout_lines", "layer_indices", "EnsembleReadout", "current_viewer", "text_overlay", "camera"]

#: viewers already prepared: id -> (weakref to viewer, readout)
_PREPARED: dict[int, tuple[Any, "EnsembleReadout"]] = {}


def current_viewer() -> Any:
    """napari's current viewer, or None (never raises, never creates one)."""
    try:
        import napari

        return napari.current_viewer()
    except Exception:
        return None


def text_overlay(viewer: Any) -> Any:
    """The canvas text overlay (``viewer.canvas.overlays.text`` since napari 0.9)."""
    canvas = getattr(viewer, "canvas", None)
    overlays = getattr(canvas, "overlays", None)
    if overlays is not None and "text" in overlays:
        return overlays["text"]
    return viewer.text_overlay  # napari < 0.9


def camera(viewer: Any) -> Any:
    """The camera (``viewer.scene.camera`` since napari 0.9)."""
    scene = getattr(viewer, "scene", None)
    return scene.camera if scene is not None and hasattr(scene, "camera") else viewer.camera


def _entry(layer: Any) -> dict | None:
    meta = getattr(layer, "metadata", None)
    entry = meta.get(META_KEY) if isinstance(meta, dict) else None
    return entry if isinstance(entry, dict) else None


def layer_indices(layer: Any, world_point: Any, n_ensemble: int) -> list[int]:
    """Data indices of the ensemble axes that ``layer`` shows at viewer point ``world_point``."""
    data = np.asarray(layer.world_to_data(tuple(world_point)), dtype=float)
    shape = layer.data.shape
    out = []
    for i in range(n_ensemble):
        k = int(np.round(data[i])) if np.isfinite(data[i]) else 0
        out.append(min(max(k, 0), int(shape[i]) - 1))
    return out


def readout_lines(viewer: Any) -> list[str]:
    """One line per visible napari-temimages layer with ensemble axes (top layer first).

    Each line is ``"<layer name>: C10 = −20 Å, Frozen phonons 3 of 8"``; the two layers of a
    complex image (amplitude and phase) share one line.
    """
    lines = []
    groups = set()
    point = viewer.dims.point
    for layer in list(viewer.layers)[::-1]:
        entry = _entry(layer)
        if entry is None or not layer.visible:
            continue
        n_ens = len(entry.get("ensemble_axes", []))
        if n_ens == 0:
            continue
        group = (entry.get("view") or {}).get("group")
        if group is not None and group in groups:
            continue
        groups.add(group)
        try:
            indices = layer_indices(layer, point, n_ens)
            values = ensemble_readout(entry, indices, shape=layer.data.shape[:n_ens])
        except Exception:  # a layer being edited: skip it rather than break the viewer
            continue
        lines.append(f"{layer.name}: " + ", ".join(typographic_minus(v) for v in values))
    return lines


class EnsembleReadout:
    """Keeps the canvas text overlay showing :func:`readout_lines`."""

    def __init__(self, viewer: Any):
        self._viewer = weakref.ref(viewer)
        self._layer_hooks: set[int] = set()
        # position="last": run after napari's own handlers (which update the dims first)
        viewer.dims.events.point.connect(self.update, position="last")
        viewer.layers.events.inserted.connect(self._on_inserted, position="last")
        viewer.layers.events.removed.connect(self.update, position="last")
        viewer.layers.events.moved.connect(self.update, position="last")
        for layer in viewer.layers:
            self._hook(layer)
        overlay = text_overlay(viewer)
        overlay.position = "top_left"
        overlay.font_size = 11
        self.update()

    @property
    def text(self) -> str:
        viewer = self._viewer()
        return text_overlay(viewer).text if viewer is not None else ""

    def _hook(self, layer: Any) -> None:
        if id(layer) in self._layer_hooks:
            return
        self._layer_hooks.add(id(layer))
        layer.events.visible.connect(self.update, position="last")
        layer.events.name.connect(self.update, position="last")

    def _on_inserted(self, event: Any = None) -> None:
        layer = getattr(event, "value", None)
        if layer is not None:
            self._hook(layer)
        self.update()

    def update(self, event: Any = None) -> None:
        viewer = self._viewer()
        if viewer is None:
            return
        lines = readout_lines(viewer)
        overlay = text_overlay(viewer)
        text = "\n".join(lines)
        if overlay.text != text:
            overlay.text = text
        if overlay.visible != bool(lines):
            overlay.visible = bool(lines)


def prepare_viewer(viewer: Any) -> "EnsembleReadout | None":
    """Camera y-up and the ensemble readout on ``viewer`` (once per viewer); returns the readout."""
    if viewer is None:
        return None
    for stale in [k for k, (ref, _) in _PREPARED.items() if ref() is None]:
        del _PREPARED[stale]
    key = id(viewer)
    known = _PREPARED.get(key)
    if known is not None and known[0]() is viewer:
        return known[1]
    camera(viewer).orientation2d = ("up", "right")
    readout = EnsembleReadout(viewer)
    _PREPARED[key] = (weakref.ref(viewer), readout)
    _inject_console_names(viewer)
    return readout


def _inject_console_names(viewer: Any) -> None:
    """Make ``napari_temimages`` and ``Images`` available in the viewer's console (never raises)."""
    try:
        from ._widgets.console import inject_namespace

        inject_namespace(viewer)
    except Exception:  # a viewer without console: nothing to do
        pass


def prepare_current_viewer() -> None:
    """:func:`prepare_viewer` on napari's current viewer, if there is one (never raises)."""
    try:
        prepare_viewer(current_viewer())
    except Exception:
        pass
