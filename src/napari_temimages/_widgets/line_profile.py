"""Line-profile dock: draw a line on an image, see its profile in Å, live.

The line is the last line (or path) of a Shapes layer, drawn in world coordinates; it is mapped
to abTEM ``(x, y)`` in Å through the image layer's transform (:func:`.operations.line_endpoints`)
and sampled by the core model (``Images.interpolate_line``) on the ensemble member shown by the
dims sliders. The plot follows the line as it moves, the sliders, the width control and napari's
theme. *Export CSV* writes the plotted profile; *Export zarr* writes the profile of every ensemble
member as a ``RealSpaceLineProfiles`` abTEM zarr store (in a worker thread, with progress).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from magicgui.widgets import ComboBox, Container, FloatSpinBox, PushButton

from .._core.errors import InvalidArgumentError
from .._core.images import Images
from . import _worker
from ._common import base_name, layer_kind, notify_exception, notify_info, unwrap
from ._plot import PlotDock, layer_choices
from .operations import line_endpoints

__all__ = ["LineProfileDock"]


class LineProfileDock(PlotDock):
    """Profile along a Shapes line over the image member on screen."""

    hint = "choose an image layer and draw a line (Shapes layer, line tool)"

    def __init__(self, napari_viewer: Any, parent: Any = None):
        self.profile: Any = None
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None
        self.indices: tuple = ()
        self.export_job: _worker.Job | None = None
        super().__init__(napari_viewer, parent)
        napari_viewer = unwrap(napari_viewer)
        self.line.changed.connect(self._on_line_changed)
        self.width.changed.connect(self.schedule)
        shapes = [layer for layer in napari_viewer.layers if layer_kind(layer) == "shapes"]
        if shapes:
            self.line.value = shapes[-1]
        self._on_line_changed(self.line.value)

    # -- controls
    def make_controls(self) -> list:
        self.line = ComboBox(label="line", choices=layer_choices(self._viewer_ref, "shapes"), nullable=True)
        self.width = FloatSpinBox(label="width (Å)", min=0.0, max=1e4, step=0.1, value=0.0,
                                  tooltip="average the profile over this width across the line")
        self.new_line_button = PushButton(text="Draw a new line")
        self.new_line_button.changed.connect(self.new_line)
        self.csv_button = PushButton(text="Export CSV…")
        self.csv_button.changed.connect(self._ask_csv)
        self.zarr_button = PushButton(text="Export zarr…")
        self.zarr_button.changed.connect(self._ask_zarr)
        buttons = Container(widgets=[self.csv_button, self.zarr_button], layout="horizontal", labels=False)
        return [self.line, self.width, self.new_line_button, buttons]

    def _on_line_changed(self, layer: Any) -> None:
        self._hook_layer("line", layer)
        self.schedule()

    def _on_layers_changed(self, event: Any = None) -> None:
        super()._on_layers_changed(event)
        layer = getattr(event, "value", None)
        try:
            if layer_kind(layer) == "shapes" and layer in self.viewer.layers:
                self.line.value = layer  # a new line layer (e.g. from the Line profile widget)
        except RuntimeError:
            pass

    def new_line(self, *_: Any) -> Any:
        """Add a Shapes layer for profile lines (physical units of the image) in line-drawing mode."""
        viewer = self.viewer
        image = self.image.value
        kwargs: dict = {"name": "profile line", "shape_type": "line", "edge_color": "yellow", "ndim": 2}
        if image is not None:
            kwargs["units"] = tuple(str(u) for u in image.units[-2:])
            kwargs["axis_labels"] = tuple(image.axis_labels[-2:])
            kwargs["edge_width"] = float(min(abs(s) for s in image.scale[-2:]))
        layer = viewer.add_shapes(**kwargs)
        layer.mode = "add_line"
        self.line.value = layer
        return layer

    # -- drawing
    def clear_result(self) -> None:
        self.profile = None

    def draw(self, obj: Any, member: Any, indices: tuple) -> None:
        if self.line.value is None:
            raise LookupError("draw a line: choose a Shapes layer or press 'Draw a new line'")
        start, end = line_endpoints(self.line.value, self.image.value, obj, self.viewer)
        profile = member.interpolate_line(start=start, end=end, width=float(self.width.value))
        if profile.is_lazy:
            profile = profile.compute()
        self.profile, self.start, self.end, self.indices = profile, start, end, indices
        profile.show(ax=self.ax, display=False, title=self.title(obj, indices))
        for line in self.ax.lines:
            line.set_linewidth(1.5)

    # -- export
    def export_csv(self, path: Any) -> Path:
        """Write the plotted profile (r in Å, values) with a commented header; returns the path."""
        self.refresh()
        if self.profile is None:
            raise InvalidArgumentError(f"nothing to export: {self.message or 'no profile'}")
        profile, path = self.profile, Path(path)
        r = np.arange(profile.shape[-1]) * profile.sampling
        values = np.asarray(profile.array).reshape(-1, profile.shape[-1])
        label = profile.metadata.get("label", "value")
        units = profile.metadata.get("units", "")
        columns, names = [r], ["r (Å)"]
        for k, row in enumerate(values):
            suffix = f" {k}" if len(values) > 1 else ""
            if np.iscomplexobj(row):
                columns += [row.real, row.imag]
                names += [f"{label}{suffix} real ({units})", f"{label}{suffix} imag ({units})"]
            else:
                columns.append(row)
                names.append(f"{label}{suffix} ({units})")
        image = self.image.value
        header = [
            "napari-temimages line profile",
            f"image: {image.name if image is not None else ''}",
            f"member: {self.title(self._object(), self.indices)}",
            f"start (x, y) Å: {self.start[0]:.6g}, {self.start[1]:.6g}",
            f"end (x, y) Å: {self.end[0]:.6g}, {self.end[1]:.6g}",
            f"width Å: {float(self.width.value):.6g}",
            ",".join(names),
        ]
        np.savetxt(path, np.column_stack(columns), delimiter=",", header="\n".join(header), comments="# ")
        return path

    def _object(self) -> Any:
        from ._common import object_of

        return object_of(self.image.value, (Images,))

    def export_zarr(self, path: Any, overwrite: bool = True) -> _worker.Job:
        """Write the profile of every ensemble member as a RealSpaceLineProfiles zarr (in a worker)."""
        self.refresh()
        if self.profile is None:
            raise InvalidArgumentError(f"nothing to export: {self.message or 'no profile'}")
        obj = self._object()
        profiles = obj.interpolate_line(start=self.start, end=self.end, width=float(self.width.value))
        path = str(path)

        def work(report: Any, token: _worker.CancelToken) -> str:
            computed = _worker.compute(profiles, token, report)
            token.check()
            computed.to_zarr(path, overwrite=overwrite)
            return path

        self.export_job = _worker.run_job(
            work,
            description=f"Export profile of {base_name(self.image.value)}",
            on_result=lambda p: notify_info(f"Line profile saved to {p}"),
            on_error=lambda exc: notify_exception("Export line profile", exc),
        )
        return self.export_job

    def _ask_csv(self, *_: Any) -> None:
        from qtpy.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export line profile", "profile.csv", "CSV (*.csv)")
        if path:
            try:
                self.export_csv(path)
            except Exception as exc:
                notify_exception("Export line profile", exc)

    def _ask_zarr(self, *_: Any) -> None:
        from qtpy.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(
            self, "Export line profiles (abTEM zarr)", "profile.zarr", "zarr (*.zarr *.zip)"
        )
        if path:
            try:
                self.export_zarr(path)
            except Exception as exc:
                notify_exception("Export line profile", exc)



