"""Base of the plot docks: a matplotlib figure that follows napari's theme and the dims sliders.

A :class:`PlotDock` owns a magicgui ``Container`` of controls, a matplotlib canvas (no pyplot:
no global figure state) and a status line. Redraws are coalesced by a single-shot timer
(:meth:`schedule`), so dragging a line or a slider stays smooth; :meth:`refresh` draws now.
Subclasses implement :meth:`draw` (raise to show a message instead of a plot).
"""

from __future__ import annotations

import weakref
from typing import Any

from magicgui.widgets import ComboBox, Container
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from .._core.images import Images
from ..layer_data import ensemble_readout, typographic_minus
from ._common import layer_kind, member_indices, member_of, object_of, unwrap

__all__ = ["PlotDock", "theme_colors", "layer_choices"]

#: delay (ms) that coalesces bursts of events into one redraw
THROTTLE_MS = 30


def theme_colors(viewer: Any) -> dict:
    """``{"background", "foreground", "text", "highlight", "canvas"}`` hex colours of napari's theme."""
    from napari.utils.theme import get_system_theme, get_theme

    name = getattr(viewer, "theme", "dark") or "dark"
    if name == "system":
        name = get_system_theme()
    try:
        theme = get_theme(name)
    except Exception:
        theme = get_theme("dark")
    out = {}
    for key in ("background", "foreground", "text", "highlight", "canvas", "primary", "secondary"):
        value = getattr(theme, key, None)
        out[key] = value.as_hex() if hasattr(value, "as_hex") else str(value)
    return out


def layer_choices(viewer_ref: weakref.ref, kind: str) -> Any:
    """magicgui choices callback: ``[(name, layer), ...]`` of the viewer's layers of ``kind``."""

    def choices(_widget: Any = None) -> list:
        viewer = viewer_ref()
        if viewer is None:
            return []
        return [(layer.name, layer) for layer in viewer.layers if layer_kind(layer) == kind]

    return choices


class PlotDock(QWidget):
    """Dock with controls, a themed matplotlib axes and a status line."""

    #: what an empty plot says
    hint = ""

    def __init__(self, napari_viewer: Any, parent: Any = None):
        super().__init__(parent)
        napari_viewer = unwrap(napari_viewer)  # napari hands plugin widgets a public-only proxy
        self._viewer_ref = weakref.ref(napari_viewer)
        self.refresh_count = 0
        self.message = ""
        self._cache: tuple[Any, Any] | None = None

        self.image = ComboBox(label="image", choices=layer_choices(self._viewer_ref, "image"), nullable=True)
        self.controls = Container(widgets=[self.image, *self.make_controls()], labels=True)
        self.figure = Figure(figsize=(4, 3), constrained_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(220)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.ax = self.figure.add_subplot()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls.native)
        layout.addWidget(self.canvas, stretch=1)
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self.refresh)

        self._hooked: dict[str, Any] = {}
        self.image.changed.connect(self._on_image_changed)
        viewer = napari_viewer
        viewer.layers.events.inserted.connect(self._on_layers_changed)
        viewer.layers.events.removed.connect(self._on_layers_changed)
        viewer.dims.events.current_step.connect(self.schedule)
        viewer.events.theme.connect(self._on_theme)

        from .console import inject_namespace

        inject_namespace(viewer)
        self.reset_choices()
        active = viewer.layers.selection.active
        if layer_kind(active) == "image":
            self.image.value = active
        self._on_image_changed(self.image.value)
        self.apply_theme()

    # -- to implement
    def make_controls(self) -> list:
        return []

    def draw(self, obj: Any, member: Any, indices: tuple) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def accepts(self) -> tuple:
        return (Images,)

    # -- viewer and layers
    @property
    def viewer(self) -> Any:
        return self._viewer_ref()

    def reset_choices(self, *_: Any) -> None:
        self.controls.reset_choices()

    def _on_layers_changed(self, *_: Any) -> None:
        try:
            self.reset_choices()
        except RuntimeError:  # Qt object already deleted (viewer closing)
            return
        self.schedule()

    def _hook_layer(self, slot: str, layer: Any) -> None:
        """Listen to ``layer.events.data`` (and only that layer's) under ``slot``."""
        old = self._hooked.pop(slot, None)
        if old is not None and old() is not None:
            try:
                old().events.data.disconnect(self.schedule)
            except Exception:
                pass
        if layer is not None:
            layer.events.data.connect(self.schedule)
            self._hooked[slot] = weakref.ref(layer)

    def _on_image_changed(self, layer: Any) -> None:
        self._hook_layer("image", layer)
        self._cache = None
        self.schedule()

    def _on_theme(self, *_: Any) -> None:
        self.apply_theme()
        self.canvas.draw_idle()

    # -- drawing
    def schedule(self, *_: Any) -> None:
        """Redraw soon (coalesces bursts of events)."""
        try:
            self._timer.start()
        except RuntimeError:  # deleted
            pass

    def current(self) -> tuple[Any, Any, tuple]:
        """(object, eager member on screen, member indices) of the chosen image layer."""
        layer = self.image.value
        viewer = self.viewer
        if layer is None or viewer is None:
            raise LookupError(self.hint or "choose an image layer")
        obj = object_of(layer, self.accepts(), type(self).__name__)
        indices = member_indices(viewer, layer, obj.ensemble_dims)
        key = (id(layer), id(layer.data), indices)
        if self._cache is not None and self._cache[0] == key:
            member = self._cache[1]
        else:
            member = member_of(obj, indices)
            self._cache = (key, member)
        return obj, member, indices

    def title(self, obj: Any, indices: tuple) -> str:
        layer = self.image.value
        parts = ensemble_readout(obj, indices) if indices else []
        text = layer.name if layer is not None else ""
        if parts:
            text += ": " + ", ".join(parts)
        return typographic_minus(text)

    def refresh(self) -> None:
        """Draw now."""
        try:
            self._timer.stop()
        except RuntimeError:
            return
        self.refresh_count += 1
        self.ax.clear()
        try:
            obj, member, indices = self.current()
            self.draw(obj, member, indices)
            self.message = ""
        except Exception as exc:  # show why there is no plot, keep the dock alive
            self.message = str(exc) if not isinstance(exc, KeyError) else str(exc.args[0])
            self.clear_result()
            self.ax.text(0.5, 0.5, self.message, ha="center", va="center", wrap=True, transform=self.ax.transAxes)
            self.ax.set_xticks([])
            self.ax.set_yticks([])
        self.status.setText(self.message)
        self.apply_theme()
        self.canvas.draw_idle()

    def clear_result(self) -> None:
        """Forget the last result (subclasses)."""

    def apply_theme(self) -> None:
        """Colours of napari's current theme on the figure and axes."""
        viewer = self.viewer
        if viewer is None:
            return
        colors = theme_colors(viewer)
        fg, bg, text = colors["foreground"], colors["background"], colors["text"]
        self.figure.set_facecolor(bg)
        for ax in self.figure.axes:
            ax.set_facecolor(colors["canvas"] if ax is not self.ax or not ax.images else bg)
            for spine in ax.spines.values():
                spine.set_color(text)
            ax.tick_params(colors=text, which="both")
            ax.xaxis.label.set_color(text)
            ax.yaxis.label.set_color(text)
            ax.title.set_color(text)
            for t in ax.texts:
                t.set_color(text)
            legend = ax.get_legend()
            if legend is not None:
                legend.get_frame().set_facecolor(bg)
                legend.get_frame().set_edgecolor(fg)
                for t in legend.get_texts():
                    t.set_color(text)
        self.canvas.setStyleSheet(f"background-color: {bg};")

    def pixels(self) -> Any:
        """The dock as an RGB numpy array (for tests and screenshots)."""
        import numpy as np
        from qtpy.QtGui import QImage

        self.canvas.draw()
        image = self.grab().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
        width, height = image.width(), image.height()
        ptr = image.constBits()
        ptr.setsize(image.sizeInBytes())
        array = np.frombuffer(ptr, np.uint8).reshape(height, image.bytesPerLine())[:, : width * 4]
        return array.reshape(height, width, 4)[..., :3].copy()

