"""One magicgui widget per ``Images`` operation.

Every widget follows the same rules (implemented once, in :class:`Operation` / :class:`Runner`):

* the first parameter is the input image layer; the others are in physical units (Å, 1/Å,
  electrons/Å², µs, Hz, %) and get their ranges and defaults from the chosen layer;
* the operation is the core model's method (``layer_data.from_layer`` -> ``Images.<op>`` ->
  ``layer_data.to_layer_data``): nothing is re-implemented here;
* results are new layers carrying scale, units, axis labels and the object's metadata (so they
  can be saved as abTEM files); running the widget again updates its output layers in place;
  input layers are never modified;
* lazy inputs, and eager inputs larger than :data:`ASYNC_BYTES`, run in a worker thread with
  napari's progress bar and a cancel button (in the activity dock and in the widget);
* bad parameters give a napari notification naming the problem, and nothing changes.

The widget factories at the bottom (``crop_widget``, ``gaussian_filter_widget``, ...) are what
``napari.yaml`` registers.
"""

from __future__ import annotations

import inspect
import math
import typing
import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np
from napari.layers import Image, Shapes

from .._core.array_object import ArrayObject
from .._core.axes import FrozenPhononsAxis
from .._core.diffraction import DiffractionPatterns
from .._core.errors import InvalidArgumentError
from .._core.images import Images
from .._core.line_profiles import RealSpaceLineProfiles
from ..layer_data import META_KEY, to_layer_data
from . import _worker
from ._common import (
    OutputLayers,
    base_name,
    current_viewer,
    ensemble_choices,
    layer_kind,
    notify_exception,
    notify_info,
    object_of,
)

__all__ = [
    "ASYNC_BYTES",
    "COMPUTE_BYTES",
    "OPERATIONS",
    "Operation",
    "Runner",
    "line_endpoints",
    "profile_line_layer_data",
]

#: Eager inputs larger than this run in a worker thread (lazy inputs always do).
ASYNC_BYTES = 16 * 2**20
#: Lazy results up to this size are computed in the worker; larger ones stay lazy.
COMPUTE_BYTES = 2 * 2**30
#: Decimals shown (and kept: Qt rounds to them) by the number fields.
FLOAT_DECIMALS = 4

OPERATIONS: dict[str, Operation] = {}

_REAL_2D = (Images, DiffractionPatterns)


def _nbytes(obj: Any) -> int:
    return int(np.prod(obj.shape, dtype=np.int64)) * np.dtype(obj.dtype).itemsize


# ---------------------------------------------------------------------------------- framework
class Operation:
    """A core operation exposed as a widget.

    Parameters
    ----------
    name, title
        Identifier and button/menu title.
    func
        ``func(obj, **params) -> result``: calls the core model. Its signature (after ``obj``)
        becomes the widget's parameters; annotations and defaults are magicgui's.
    suffix
        Appended to the input layer name for the output layer name (or ``suffix(params)``).
    accepts
        Classes the input object must be.
    options
        magicgui options per parameter (labels with units, ranges, tooltips).
    defaults
        ``defaults(obj) -> {param: {"min", "max", "step", "value", "choices"}}``, applied when the
        input layer changes.
    compute_result
        ``"auto"``: compute lazy results in the worker up to :data:`COMPUTE_BYTES` (larger ones
        stay lazy); ``"always"``; ``"never"`` (keep them lazy, e.g. rechunk).
    outputs
        ``outputs(result, name, image, viewer) -> [layer data tuples]`` (default: ``to_layer_data``).
    prepare
        ``prepare(params, image=, viewer=, obj=) -> params``: main-thread step that turns layer
        parameters into numbers (e.g. a Shapes line into start/end in Å).
    """

    def __init__(
        self,
        name: str,
        title: str,
        func: Callable[..., Any],
        *,
        suffix: str | Callable[[dict], str],
        accepts: Sequence[type] = (Images,),
        options: dict | None = None,
        defaults: Callable[[Any], dict] | None = None,
        compute_result: str = "auto",
        outputs: Callable[..., list] | None = None,
        prepare: Callable[..., dict] | None = None,
        tooltip: str = "",
    ):
        self.name = name
        self.title = title
        self.func = func
        self.suffix = suffix
        self.accepts = tuple(accepts)
        self.options = options or {}
        self.defaults = defaults
        self.compute_result = compute_result
        self.outputs = outputs or image_outputs
        self.prepare = prepare
        self.tooltip = tooltip or (inspect.getdoc(func) or "").split("\n")[0]
        OPERATIONS[name] = self

    # -- the widget
    def signature(self) -> inspect.Signature:
        import napari

        hints = typing.get_type_hints(self.func)
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in list(inspect.signature(self.func).parameters.values())[1:]
        ]
        image = inspect.Parameter("image", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=napari.layers.Image)
        params = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params]
        return inspect.Signature([image, *params])

    def make_widget(self) -> Any:
        """A new magicgui ``FunctionGui`` for this operation (one :class:`Runner` each)."""
        from magicgui import magicgui
        from magicgui.widgets import FloatSpinBox, Label, PushButton

        runner = Runner(self)
        signature = self.signature()

        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            params = dict(bound.arguments)
            image = params.pop("image")
            return runner.run(image, params)

        call.__signature__ = signature  # type: ignore[attr-defined]
        call.__name__ = self.name
        call.__doc__ = self.tooltip
        options = {"image": {"label": "image", "tooltip": "input layer (never modified)"}}
        for key, value in self.options.items():
            value = dict(value)
            source = value.pop("choices_from", None)
            if source is not None:  # choices computed from the chosen layer on every reset
                value["choices"] = runner.choices_from(source)
            options[key] = value
        gui = magicgui(call, call_button=self.title, persist=False, **options)
        gui.tooltip = self.tooltip
        for widget in gui:
            if isinstance(widget, FloatSpinBox):  # physical values need more than 2 decimals
                widget.native.setDecimals(max(widget.native.decimals(), FLOAT_DECIMALS))
        cancel = PushButton(text="Cancel", gui_only=True, name="cancel_button", visible=False)
        cancel.changed.connect(runner.cancel)
        status = Label(value="", gui_only=True, name="status", label=" ")
        gui.append(cancel)
        gui.append(status)
        runner.attach(gui)
        return gui

    def factory(self) -> Callable[[], Any]:
        """A plain function returning a new widget (what npe2 registers)."""
        op = self

        def make_widget() -> Any:
            return op.make_widget()

        make_widget.__name__ = f"{self.name}_widget"
        make_widget.__qualname__ = make_widget.__name__
        make_widget.__doc__ = f"Widget: {self.title} ({self.tooltip})"
        return make_widget


class Runner:
    """State of one operation widget: its output layers and its running job."""

    def __init__(self, op: Operation):
        self.op = op
        self.gui: Any = None
        self._outputs: dict[int, tuple[Any, OutputLayers]] = {}
        self.job: _worker.Job | None = None
        self.last_result: Any = None
        self.last_outputs: list = []

    # -- wiring
    def attach(self, gui: Any) -> None:
        self.gui = gui
        gui._temimages_runner = self
        gui.image.changed.connect(self._on_image_changed)
        gui.native_parent_changed.connect(self._on_docked)
        gui.native.destroyed.connect(self.cancel)  # closing the widget cancels its job

    def _on_docked(self, *_: Any) -> None:
        viewer = current_viewer(self.gui)
        if viewer is None:
            return
        from .console import inject_namespace

        inject_namespace(viewer)
        self.gui.reset_choices()
        active = viewer.layers.selection.active
        if layer_kind(active) == "image" and active in self.gui.image.choices:
            with self.gui.image.changed.blocked():
                self.gui.image.value = active
        self._on_image_changed(self.gui.image.value)

    def _on_image_changed(self, layer: Any) -> None:
        if layer is None or self.op.defaults is None:
            return
        try:
            obj = object_of(layer, self.op.accepts, self.op.title)
        except Exception:
            return
        try:
            values = self.op.defaults(obj)
        except Exception:  # defaults are a convenience; never break the widget
            return
        apply_defaults(self.gui, values)

    # -- outputs: one set per input layer (running again on the same input updates it in place)
    def outputs_for(self, image: Any) -> OutputLayers:
        for key, (ref, _) in list(self._outputs.items()):
            if ref() is None:
                del self._outputs[key]
        entry = self._outputs.get(id(image))
        if entry is None or entry[0]() is not image:
            entry = (weakref.ref(image), OutputLayers())
            self._outputs[id(image)] = entry
        return entry[1]

    @property
    def output_layers(self) -> list:
        """Output layers of every input, most recent run last."""
        return [layer for _, out in self._outputs.values() for layer in out.layers]

    def choices_from(self, source: Callable[[Any], list]) -> Callable[[Any], list]:
        """magicgui choices callback: ``source(object of the chosen layer)`` (empty if none)."""

        def choices(_widget: Any = None) -> list:
            gui = self.gui
            if gui is None:
                return []
            try:
                return source(object_of(gui.image.value, self.op.accepts))
            except Exception:
                return []

        return choices

    # -- running
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def cancel(self, *_: Any) -> None:
        if self.job is not None:
            self.job.cancel()

    def _status(self, text: str, running: bool = False) -> None:
        if self.gui is None:
            return
        try:
            self.gui.status.value = text
            self.gui.cancel_button.visible = running
            self.gui.call_button.enabled = not running
        except RuntimeError:  # the widget was closed while the job ran
            pass

    def run(self, image: Any, params: dict, viewer: Any = None) -> _worker.Job | None:
        """Run the operation on ``image``; returns the :class:`~._worker.Job` or None (synchronous)."""
        op = self.op
        if self.running:
            notify_info(f"{op.title}: still running; cancel it or wait")
            return self.job
        viewer = viewer or current_viewer(self.gui)
        if viewer is None:
            notify_exception(op.title, InvalidArgumentError("no napari viewer"))
            return None
        try:
            obj = object_of(image, op.accepts, op.title)
            if op.prepare is not None:
                params = op.prepare(dict(params), image=image, viewer=viewer, obj=obj)
                self._show_values(params)
            suffix = op.suffix(params) if callable(op.suffix) else op.suffix
            name = f"{base_name(image)} {suffix}".strip()
            inputs = [image] + [v for v in params.values() if _is_layer(v)]
            context = {"image": image, "viewer": viewer, "name": name}
            in_worker = obj.is_lazy or _nbytes(obj) > ASYNC_BYTES
            result = None
            if not (in_worker and not obj.is_lazy):
                # lazy: building the graph is cheap and validates the parameters right away
                result = op.func(obj, **params)
            if not in_worker and not getattr(result, "is_lazy", False):
                tuples = op.outputs(result, **context)
                self._finish(viewer, result, tuples, inputs)
                return None
        except Exception as exc:
            notify_exception(op.title, exc)
            self._status(f"failed: {exc}")
            return None

        def work(report: Callable[[int, int], None], token: _worker.CancelToken) -> tuple:
            value = result if result is not None else op.func(obj, **params)
            token.check()
            note = ""
            if getattr(value, "is_lazy", False) and op.compute_result != "never":
                if op.compute_result == "always" or _nbytes(value) <= COMPUTE_BYTES:
                    value = _worker.compute(value, token, report)
                else:
                    note = f"{op.title}: the result ({_nbytes(value) / 2**30:.1f} GiB) is kept lazy"
            token.check()
            return value, op.outputs(value, **context), note

        def on_result(value: tuple) -> None:
            self._finish(viewer, value[0], value[1], inputs)
            if value[2]:
                notify_info(value[2])

        def on_error(exc: BaseException) -> None:
            notify_exception(op.title, exc)
            self._status(f"failed: {exc}")

        def on_finish(job: _worker.Job) -> None:
            if job.cancelled:
                notify_info(f"{op.title}: cancelled; nothing changed")
                self._status("cancelled")
            elif job.succeeded:
                self._status("done")

        self._status("running…", running=True)
        self.job = _worker.run_job(
            work, description=f"{op.title}: {name}", on_result=on_result, on_error=on_error, on_finish=on_finish
        )
        return self.job

    def _show_values(self, params: dict) -> None:
        """Show numbers derived by ``prepare`` (e.g. a line's end points) in the widget."""
        for key, value in params.items():
            try:
                widget = self.gui[key]
            except (KeyError, AttributeError, TypeError):
                continue
            if isinstance(value, float) and widget.value != value:
                with widget.changed.blocked():
                    widget.value = value

    def _finish(self, viewer: Any, result: Any, tuples: list, inputs: list) -> None:
        if not hasattr(getattr(viewer, "window", None), "_qt_window"):
            return  # the viewer was closed while the job ran
        try:
            self.last_outputs = self.outputs_for(inputs[0]).apply(viewer, tuples, inputs=inputs)
        except Exception as exc:
            notify_exception(self.op.title, exc)
            self._status(f"failed: {exc}")
            return
        self.last_result = result
        self._status("done")


def _is_layer(value: Any) -> bool:
    return layer_kind(value) != ""


def apply_defaults(gui: Any, values: dict) -> None:
    """Set ranges, choices and values of widgets (``{name: {"min", "max", "step", "choices", "value"}}``)."""
    for name, spec in values.items():
        try:
            widget = gui[name]
        except (KeyError, AttributeError):
            continue
        if "choices" in spec:
            widget.choices = spec["choices"]
        elif hasattr(widget, "reset_choices"):
            widget.reset_choices()
        if "min" in spec and "max" in spec:
            if spec["min"] > widget.max:
                widget.max = spec["max"]
                widget.min = spec["min"]
            else:
                widget.min = spec["min"]
                widget.max = spec["max"]
        elif "max" in spec:
            widget.max = spec["max"]
        elif "min" in spec:
            widget.min = spec["min"]
        if "step" in spec:
            widget.step = spec["step"]
        if "value" in spec:
            widget.value = spec["value"]


# ---------------------------------------------------------------------------------- outputs
def image_outputs(result: Any, *, name: str, **_: Any) -> list:
    """``to_layer_data`` of the result; GPU results keep their GPU object as the layer's source
    (so that following operations run on the GPU; napari shows a host copy)."""
    tuples = to_layer_data(result, name=name)
    if getattr(result, "device", "cpu") == "gpu":
        for _, meta, _ in tuples:
            meta["metadata"][META_KEY]["source"] = result
    return tuples


def _data_point(image: Any, viewer: Any, yx_world: Sequence[float]) -> np.ndarray:
    """Data coordinates of ``image`` at the current dims point with (y, x) replaced."""
    point = list(viewer.dims.point)
    ndim = image.ndim
    point = point[-ndim:] if len(point) >= ndim else [0.0] * (ndim - len(point)) + point
    point[-2:] = [float(v) for v in yx_world]
    return np.asarray(image.world_to_data(point), dtype=float)


def line_endpoints(shapes: Any, image: Any, obj: Any, viewer: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(start, end)`` as abTEM ``(x, y)`` in Å of the last line (or path) of a Shapes layer.

    The line is in world coordinates (napari's (…, y, x)); it is mapped to the image's data
    indices with the image layer's own transform, then to Å with the object's sampling
    (array column = x index, row = y index, see ``layer_data``), rounded to 1e-6 Å.
    """
    if shapes is None:
        raise InvalidArgumentError("choose a Shapes layer with a line")
    lines = [
        np.asarray(d, dtype=float)
        for d, kind in zip(shapes.data, shapes.shape_type, strict=True)
        if kind in ("line", "path") and len(d) >= 2
    ]
    if not lines:
        raise InvalidArgumentError(f"layer {shapes.name!r} has no line; draw one with the line tool")
    line = lines[-1]
    dx, dy = obj.sampling
    points = []
    for vertex in (line[0], line[-1]):
        world = np.asarray(shapes.data_to_world(vertex), dtype=float)
        data = _data_point(image, viewer, world[-2:])
        row, col = data[-2], data[-1]
        # napari keeps shapes in float32: round away its ~1e-7 relative noise (1e-6 Å is far below
        # any pixel), so that a line drawn at 0.4 Å is sampled as 0.4 Å
        points.append((round(float(col * dx), 6), round(float(row * dy), 6)))
    return points[0], points[1]


def profile_line_layer_data(
    start: Sequence[float], end: Sequence[float], width: float, image: Any, obj: Any, viewer: Any
) -> np.ndarray:
    """World coordinates ``[[y0, x0], [y1, x1]]`` of the line from ``start`` to ``end`` (Å)."""
    dx, dy = obj.sampling
    out = []
    for x, y in (start, end):
        point = list(viewer.dims.point)
        ndim = image.ndim
        point = point[-ndim:] if len(point) >= ndim else [0.0] * (ndim - len(point)) + point
        data = np.asarray(image.world_to_data(point), dtype=float)
        data[-2:] = (y / dy, x / dx)
        world = np.asarray(image.data_to_world(data), dtype=float)
        out.append(world[-2:])
    return np.asarray(out)


def profile_outputs(result: RealSpaceLineProfiles, *, name: str, image: Any, viewer: Any, **_: Any) -> list:
    """A Shapes layer with the profile's line; the profiles object rides in its metadata."""
    meta = result.metadata
    start, end = meta.get("start"), meta.get("end")
    width = float(meta.get("width", 0.0) or 0.0)
    obj = object_of(image)
    line = profile_line_layer_data(start, end, width, image, obj, viewer)
    units = tuple(str(u) for u in image.units[-2:])
    labels = tuple(image.axis_labels[-2:])
    entry = {
        "type": "RealSpaceLineProfiles",
        "source": result,
        "image": image.name,
        "start": [float(v) for v in start],
        "end": [float(v) for v in end],
        "width": width,
    }
    kwargs = {
        "name": name,
        "shape_type": "line",
        "edge_width": max(width, 0.5 * min(obj.sampling)),
        "edge_color": "yellow",
        "units": units,
        "axis_labels": labels,
        "metadata": {META_KEY: entry},
    }
    return [([line], kwargs, "shapes")]


# ---------------------------------------------------------------------------------- defaults
def _length_range(obj: Any) -> tuple[float, float, float]:
    """(smallest pixel, largest extent, step) in Å."""
    d = min(obj.sampling)
    return d, max(obj.extent), _nice_step(d)


def _nice_step(value: float) -> float:
    if not value > 0 or not math.isfinite(value):
        return 0.01
    return float(10 ** math.floor(math.log10(value)))


def _crop_defaults(obj: Images) -> dict:
    (lx, ly), (dx, dy) = obj.extent, obj.sampling
    step = _nice_step(min(dx, dy))
    return {
        "extent_x": {"min": step, "max": lx, "step": step, "value": round(lx / 2, 6)},
        "extent_y": {"min": step, "max": ly, "step": step, "value": round(ly / 2, 6)},
        "offset_x": {"min": 0.0, "max": lx, "step": step, "value": 0.0},
        "offset_y": {"min": 0.0, "max": ly, "step": step, "value": 0.0},
    }


def _interpolate_defaults(obj: Images) -> dict:
    d = min(obj.sampling)
    step = _nice_step(d / 10)
    nx, ny = obj.base_shape
    return {
        "sampling": {"min": step, "max": max(obj.extent), "step": step, "value": round(d / 2, 6)},
        "gpts_x": {"value": min(2 * nx, 16384)},
        "gpts_y": {"value": min(2 * ny, 16384)},
    }


def _sigma_defaults(obj: Images) -> dict:
    d, big, step = _length_range(obj)
    return {"sigma": {"min": step / 10, "max": big / 2, "step": step, "value": round(2 * max(obj.sampling), 6)}}


def _line_defaults(obj: Images) -> dict:
    (lx, ly), d = obj.extent, min(obj.sampling)
    step = _nice_step(d)
    rng = {"min": -lx, "max": 2 * lx, "step": step}
    rng_y = {"min": -ly, "max": 2 * ly, "step": step}
    return {
        "start_x": {**rng, "value": 0.0},
        "start_y": {**rng_y, "value": round(ly / 2, 6)},
        "end_x": {**rng, "value": round(lx, 6)},
        "end_y": {**rng_y, "value": round(ly / 2, 6)},
        "width": {"min": 0.0, "max": max(lx, ly), "step": step, "value": 0.0},
        "sampling": {"min": 0.0, "max": max(lx, ly), "step": _nice_step(d / 10), "value": 0.0},
    }


def _position_defaults(obj: Images) -> dict:
    (lx, ly), d = obj.extent, min(obj.sampling)
    step = _nice_step(d)
    return {
        "center_x": {"min": -lx, "max": 2 * lx, "step": step, "value": round(lx / 2, 6)},
        "center_y": {"min": -ly, "max": 2 * ly, "step": step, "value": round(ly / 2, 6)},
        "extent": {"min": step, "max": 4 * max(lx, ly), "step": step, "value": round(min(lx, ly) / 2, 6)},
        "width": {"min": 0.0, "max": max(lx, ly), "step": step, "value": 0.0},
        "sampling": {"min": 0.0, "max": max(lx, ly), "step": _nice_step(d / 10), "value": 0.0},
    }


def _axes_defaults(select_all: bool) -> Callable[[Any], dict]:
    def defaults(obj: ArrayObject) -> dict:
        if select_all:
            value = list(range(obj.ensemble_dims))
        else:  # the axes flagged for averaging, else the frozen-phonon axes
            axes = obj.ensemble_axes_metadata
            value = [i for i, a in enumerate(axes) if a._ensemble_mean] or [
                i for i, a in enumerate(axes) if isinstance(a, FrozenPhononsAxis)
            ]
        return {"axes": {"value": value}}

    return defaults


def _rechunk_defaults(obj: ArrayObject) -> dict:
    if obj.is_lazy:
        chunks = obj.array.chunks[: obj.ensemble_dims]
        text = ", ".join(str(c[0]) if len(set(c)) == 1 else "auto" for c in chunks) or "auto"
    else:
        text = ", ".join("1" for _ in range(obj.ensemble_dims)) or "auto"
    return {"chunks": {"value": text}}


# ---------------------------------------------------------------------------------- the operations
_LENGTH = {"widget_type": "FloatSpinBox", "min": 0.0, "max": 1e6, "step": 0.1}


def _length(label: str, tooltip: str = "", **extra: Any) -> dict:
    return {**_LENGTH, "label": label, "tooltip": tooltip, **extra}


def _seed(value: int) -> int | None:
    return None if value < 0 else int(value)


def crop(
    obj: Images, extent_x: float = 10.0, extent_y: float = 10.0, offset_x: float = 0.0, offset_y: float = 0.0,
    centered: bool = False,
) -> Images:
    """Crop to an extent (Å) from an offset (Å), or centred on the image (Images.crop)."""
    offset = (0.0, 0.0) if centered else (offset_x, offset_y)
    return obj.crop((extent_x, extent_y), offset=offset, centered=centered)


def tile(obj: Images, repetitions_x: int = 2, repetitions_y: int = 2) -> Images:
    """Tile periodically (Images.tile)."""
    return obj.tile((repetitions_x, repetitions_y))


def interpolate(
    obj: Images, by: str = "sampling", sampling: float = 0.05, gpts_x: int = 256, gpts_y: int = 256,
    method: str = "fft", order: int = 3, boundary: str = "periodic",
) -> Images:
    """Resample to a new pixel size (Å) or grid, by Fourier or spline interpolation (Images.interpolate)."""
    if by == "sampling":
        return obj.interpolate(sampling=sampling, method=method, order=order, boundary=boundary)
    return obj.interpolate(gpts=(gpts_x, gpts_y), method=method, order=order, boundary=boundary)


def gaussian_filter(obj: Images, sigma: float = 0.5, boundary: str = "periodic", cval: float = 0.0) -> Images:
    """Gaussian blur, standard deviation in Å (Images.gaussian_filter)."""
    return obj.gaussian_filter(sigma, boundary=boundary, cval=cval)


def diffractograms(obj: Images) -> DiffractionPatterns:
    """|FFT| of every image, in 1/Å (Images.diffractograms)."""
    return obj.diffractograms()


def line_profile(
    obj: Images, line: Optional[Shapes] = None, start_x: float = 0.0, start_y: float = 0.0, end_x: float = 10.0,
    end_y: float = 0.0, width: float = 0.0, sampling: float = 0.0, order: int = 3,
) -> RealSpaceLineProfiles:
    """Profile along a line (Å); from the last line of a Shapes layer if one is chosen (Images.interpolate_line)."""
    # ``line`` (a Shapes layer) was turned into start/end by _line_from_shapes (main thread)
    return obj.interpolate_line(
        start=(start_x, start_y), end=(end_x, end_y), width=width,
        sampling=sampling if sampling > 0 else None, order=order,
    )


def _line_from_shapes(params: dict, *, image: Any, viewer: Any, obj: Any) -> dict:
    shapes = params.get("line")
    if shapes is not None:
        (x0, y0), (x1, y1) = line_endpoints(shapes, image, obj, viewer)
        params.update(start_x=x0, start_y=y0, end_x=x1, end_y=y1)
    return params


def profile_at_position(
    obj: Images, center_x: float = 5.0, center_y: float = 5.0, angle: float = 0.0, extent: float = 10.0,
    width: float = 0.0, sampling: float = 0.0, order: int = 3,
) -> RealSpaceLineProfiles:
    """Profile of a given length (Å) through a point at an angle (° from +x) (Images.interpolate_line_at_position)."""
    return obj.interpolate_line_at_position(
        center=(center_x, center_y), angle=angle, extent=extent, width=width,
        sampling=sampling if sampling > 0 else None, order=order,
    )


def integrate_gradient(obj: Images) -> Images:
    """Integrate a complex gradient image (x + i y) into a potential (Images.integrate_gradient)."""
    return obj.integrate_gradient()


_DOSE_TYPES = {"dose per area (e/Å²)": "dose_per_area", "total dose (e/pixel at value 1)": "total_dose"}


def poisson_noise(
    obj: Images, dose_type: str = "dose per area (e/Å²)", dose: float = 1e4, samples: int = 1, seed: int = -1,
) -> Images:
    """Poisson (shot) noise for an electron dose (Images.poisson_noise)."""
    key = _DOSE_TYPES.get(dose_type)
    if key is None:
        raise InvalidArgumentError(f"unknown dose type {dose_type!r}")
    return obj.poisson_noise(**{key: float(dose)}, samples=samples, seed=_seed(seed))


def scan_noise(
    obj: Images, dwell_time: float = 8.0, flyback_time: float = 100.0, rms_power: float = 1.0,
    max_frequency: float = 500.0, num_components: int = 200, seed: int = -1,
) -> Images:
    """STEM scan distortion: dwell/flyback time (µs), distortion FWHM (%), max frequency (Hz) (Images.scan_noise)."""
    return obj.scan_noise(
        dwell_time=dwell_time * 1e-6, flyback_time=flyback_time * 1e-6, rms_power=rms_power,
        max_frequency=max_frequency, num_components=num_components, seed=_seed(seed),
    )


def reduce_ensemble(obj: ArrayObject, axes: list = ()) -> ArrayObject:
    """(Weighted) mean over ensemble axes; none chosen = the axes flagged for averaging (frozen phonons)."""
    if obj.ensemble_dims == 0:
        raise InvalidArgumentError("the layer has no ensemble axes to reduce")
    if not axes:
        flagged = [i for i, a in enumerate(obj.ensemble_axes_metadata) if a._ensemble_mean]
        if not flagged:
            raise InvalidArgumentError("no ensemble axis is flagged for averaging (e.g. frozen phonons); choose axes")
        return obj.reduce_ensemble()
    return obj.reduce_ensemble(axis=tuple(int(a) for a in axes))


_NORMALIZE = ("max", "min", "sum", "mean", "ptp", "median", "std")


def normalize_ensemble(obj: ArrayObject, scale: str = "max", shift: str = "mean") -> ArrayObject:
    """Per member (I − shift(I)) / scale(I) (Images.normalize_ensemble)."""
    return obj.normalize_ensemble(scale=scale, shift=shift)


_STATISTICS = ("mean", "std", "sum", "min", "max")


def ensemble_statistic(
    obj: ArrayObject, statistic: str = "mean", axes: list = (), keepdims: bool = False
) -> ArrayObject:
    """Mean / std / sum / min / max over the chosen ensemble axes."""
    if statistic not in _STATISTICS:
        raise InvalidArgumentError(f"unknown statistic {statistic!r}; use one of {', '.join(_STATISTICS)}")
    if obj.ensemble_dims == 0:
        raise InvalidArgumentError("the layer has no ensemble axes")
    if not axes:
        raise InvalidArgumentError("choose at least one ensemble axis")
    return getattr(obj, statistic)(axis=tuple(int(a) for a in axes), keepdims=keepdims)


_PARTS = ("abs", "phase", "real", "imag", "intensity")


def complex_part(obj: ArrayObject, part: str = "abs") -> ArrayObject:
    """Amplitude, phase, real or imaginary part or intensity of complex data."""
    if part not in _PARTS:
        raise InvalidArgumentError(f"unknown part {part!r}; use one of {', '.join(_PARTS)}")
    return getattr(obj, part)()


def relative_difference(obj: ArrayObject, other: Image = None, min_relative_tol: float = 0.0) -> ArrayObject:
    """100 (A − B) / A in % of the image (A) and another layer (B) (Images.relative_difference)."""
    if other is None:
        raise InvalidArgumentError("choose the second image layer (B)")
    return obj.relative_difference(object_of(other, (type(obj),), "relative difference"), min_relative_tol)


def parse_chunks(text: str, ensemble_dims: int) -> Any:
    """``"auto"`` or comma-separated ensemble chunk sizes (``"1, auto"``) -> dask chunks."""
    text = (text or "").strip()
    if text in ("", "auto"):
        return "auto"
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if len(parts) != ensemble_dims:
        raise InvalidArgumentError(
            f"chunks: give one chunk size per ensemble axis ({ensemble_dims}), or 'auto'; got {text!r}"
        )
    out: list[Any] = []
    for p in parts:
        if p == "auto":
            out.append("auto")
            continue
        try:
            value = int(p)
        except ValueError:
            raise InvalidArgumentError(f"chunks: {p!r} is not a whole number or 'auto'") from None
        if value < 1:
            raise InvalidArgumentError(f"chunks: sizes must be >= 1, got {value}")
        out.append(value)
    return tuple(out)


def rechunk(obj: ArrayObject, chunks: str = "auto") -> ArrayObject:
    """Rechunk lazy data along the ensemble axes (eager data become lazy); images stay whole chunks."""
    parsed = parse_chunks(chunks, obj.ensemble_dims)
    if isinstance(parsed, tuple):
        parsed = parsed + tuple(-1 for _ in range(obj.base_dims))
    return obj.rechunk(parsed) if obj.is_lazy else obj.lazy(parsed)


def compute(obj: ArrayObject) -> ArrayObject:
    """Evaluate lazy data into memory (ArrayObject.compute)."""
    if not obj.is_lazy:
        raise InvalidArgumentError("the layer is not lazy; nothing to compute")
    return obj  # computed in the worker


_DEVICES = ("GPU", "CPU")


def to_device(obj: ArrayObject, device: str = "GPU") -> ArrayObject:
    """Move the data to the GPU (CuPy) or back to the CPU (to_gpu / to_cpu)."""
    if device == "GPU":
        return obj.to_gpu()
    if device == "CPU":
        return obj.to_cpu()
    raise InvalidArgumentError(f"unknown device {device!r}; use GPU or CPU")


def _register() -> None:
    Operation(
        "crop", "Crop", crop, suffix="cropped",
        options={
            "extent_x": _length("extent x (Å)", "size of the crop along x"),
            "extent_y": _length("extent y (Å)", "size of the crop along y"),
            "offset_x": _length("offset x (Å)", "start of the crop along x (ignored when centred)"),
            "offset_y": _length("offset y (Å)", "start of the crop along y (ignored when centred)"),
            "centered": {"label": "centred", "tooltip": "crop around the image centre"},
        },
        defaults=_crop_defaults,
    )
    Operation(
        "tile", "Tile", tile, suffix="tiled",
        options={
            "repetitions_x": {"label": "repetitions x", "min": 1, "max": 64},
            "repetitions_y": {"label": "repetitions y", "min": 1, "max": 64},
        },
    )
    Operation(
        "interpolate", "Interpolate", interpolate, suffix="interpolated",
        options={
            "by": {"label": "new grid from", "choices": ["sampling", "gpts"], "widget_type": "RadioButtons",
                   "orientation": "horizontal"},
            "sampling": _length("sampling (Å)", "new pixel size", min=1e-4, step=0.01),
            "gpts_x": {"label": "gpts x", "min": 1, "max": 16384},
            "gpts_y": {"label": "gpts y", "min": 1, "max": 16384},
            "method": {"choices": ["fft", "spline"]},
            "order": {"label": "spline order", "min": 0, "max": 5},
            "boundary": {"choices": ["periodic", "reflect", "constant"]},
        },
        defaults=_interpolate_defaults,
    )
    Operation(
        "gaussian_filter", "Gaussian filter", gaussian_filter, suffix="gaussian",
        options={
            "sigma": _length("σ (Å)", "standard deviation of the Gaussian", min=1e-4, step=0.01),
            "boundary": {"choices": ["periodic", "reflect", "constant"]},
            "cval": {"label": "constant value", "widget_type": "FloatSpinBox", "min": -1e12, "max": 1e12},
        },
        defaults=_sigma_defaults,
    )
    Operation("diffractograms", "Diffractograms", diffractograms, suffix="diffractogram")
    Operation(
        "line_profile", "Line profile", line_profile, suffix="profile",
        options={
            "line": {"label": "line (Shapes)", "tooltip": "take start/end from the last line of this layer"},
            "start_x": _length("start x (Å)", min=-1e6), "start_y": _length("start y (Å)", min=-1e6),
            "end_x": _length("end x (Å)", min=-1e6), "end_y": _length("end y (Å)", min=-1e6),
            "width": _length("width (Å)", "average over this width across the line"),
            "sampling": _length("sampling (Å)", "step along the line; 0 = the image's pixel size", step=0.01),
            "order": {"label": "spline order", "min": 0, "max": 5},
        },
        defaults=_line_defaults, outputs=profile_outputs, prepare=_line_from_shapes,
    )
    Operation(
        "profile_at_position", "Profile at a position", profile_at_position, suffix="profile",
        options={
            "center_x": _length("centre x (Å)", min=-1e6), "center_y": _length("centre y (Å)", min=-1e6),
            "angle": {"label": "angle (°)", "widget_type": "FloatSpinBox", "min": -360.0, "max": 360.0, "step": 1.0},
            "extent": _length("length (Å)", min=1e-4),
            "width": _length("width (Å)", "average over this width across the line"),
            "sampling": _length("sampling (Å)", "step along the line; 0 = the image's pixel size", step=0.01),
            "order": {"label": "spline order", "min": 0, "max": 5},
        },
        defaults=_position_defaults, outputs=profile_outputs,
    )
    Operation("integrate_gradient", "Integrate gradient", integrate_gradient, suffix="integrated")
    Operation(
        "poisson_noise", "Poisson noise", poisson_noise, suffix="poisson",
        options={
            "dose_type": {"label": "dose", "choices": list(_DOSE_TYPES)},
            "dose": {"label": "dose value", "widget_type": "FloatSpinBox", "min": 1e-6, "max": 1e15, "step": 100.0,
                     "tooltip": "electrons/Å² (dose per area) or electrons per pixel at value 1 (total dose)"},
            "samples": {"min": 1, "max": 1000, "tooltip": "number of noise realisations (a new ensemble axis)"},
            "seed": {"min": -1, "max": 2**31 - 1, "label": "seed (−1: random)"},
        },
    )
    Operation(
        "scan_noise", "Scan noise", scan_noise, suffix="scan noise",
        options={
            "dwell_time": {"label": "dwell time (µs)", "widget_type": "FloatSpinBox", "min": 1e-3, "max": 1e6,
                           "step": 0.1},
            "flyback_time": {"label": "flyback time (µs)", "widget_type": "FloatSpinBox", "min": 0.0, "max": 1e7,
                             "step": 1.0},
            "rms_power": {"label": "distortion FWHM (%)", "widget_type": "FloatSpinBox", "min": 0.0, "max": 100.0,
                          "step": 0.1},
            "max_frequency": {"label": "max frequency (Hz)", "widget_type": "FloatSpinBox", "min": 1e-3,
                              "max": 1e9, "step": 10.0},
            "num_components": {"label": "components", "min": 1, "max": 10000},
            "seed": {"min": -1, "max": 2**31 - 1, "label": "seed (−1: random)"},
        },
    )
    Operation(
        "reduce_ensemble", "Reduce ensemble", reduce_ensemble, suffix="reduced", accepts=_REAL_2D,
        options={"axes": {"widget_type": "Select", "choices_from": ensemble_choices, "label": "axes (none: flagged)"}},
        defaults=_axes_defaults(select_all=False),
    )
    Operation(
        "normalize_ensemble", "Normalize ensemble", normalize_ensemble, suffix="normalized", accepts=_REAL_2D,
        options={"scale": {"choices": list(_NORMALIZE)}, "shift": {"choices": list(_NORMALIZE) + ["none"]}},
    )
    Operation(
        "ensemble_statistic", "Ensemble statistic", ensemble_statistic, suffix=lambda p: p["statistic"],
        accepts=_REAL_2D,
        options={"statistic": {"choices": list(_STATISTICS)},
                 "axes": {"widget_type": "Select", "choices_from": ensemble_choices, "label": "over axes"},
                 "keepdims": {"label": "keep reduced axes (length 1, keeps sliders aligned)"}},
        defaults=_axes_defaults(select_all=True),
    )
    Operation(
        "complex_part", "Complex part", complex_part, suffix=lambda p: p["part"], accepts=_REAL_2D,
        options={"part": {"choices": list(_PARTS)}},
    )
    Operation(
        "relative_difference", "Relative difference", relative_difference, suffix="rel. diff.", accepts=_REAL_2D,
        options={"image": {"label": "A"}, "other": {"label": "B"},
                 "min_relative_tol": {"label": "min. |A| / max A", "widget_type": "FloatSpinBox", "min": 0.0,
                                      "max": 1.0, "step": 0.01}},
    )
    Operation(
        "rechunk", "Rechunk", rechunk, suffix="rechunked", accepts=_REAL_2D, compute_result="never",
        options={"chunks": {"label": "ensemble chunks",
                            "tooltip": "'auto' or one size per ensemble axis, e.g. '1, 4'"}},
        defaults=_rechunk_defaults,
    )
    Operation("compute", "Compute", compute, suffix="computed", accepts=_REAL_2D, compute_result="always")
    Operation(
        "to_device", "Move to device", to_device, suffix=lambda p: f"on {p['device']}", accepts=_REAL_2D,
        options={"device": {"choices": list(_DEVICES), "widget_type": "RadioButtons", "orientation": "horizontal"}},
    )


_register()

# widget factories registered in napari.yaml
crop_widget = OPERATIONS["crop"].factory()
tile_widget = OPERATIONS["tile"].factory()
interpolate_widget = OPERATIONS["interpolate"].factory()
gaussian_filter_widget = OPERATIONS["gaussian_filter"].factory()
diffractograms_widget = OPERATIONS["diffractograms"].factory()
line_profile_widget = OPERATIONS["line_profile"].factory()
profile_at_position_widget = OPERATIONS["profile_at_position"].factory()
integrate_gradient_widget = OPERATIONS["integrate_gradient"].factory()
poisson_noise_widget = OPERATIONS["poisson_noise"].factory()
scan_noise_widget = OPERATIONS["scan_noise"].factory()
reduce_ensemble_widget = OPERATIONS["reduce_ensemble"].factory()
normalize_ensemble_widget = OPERATIONS["normalize_ensemble"].factory()
ensemble_statistic_widget = OPERATIONS["ensemble_statistic"].factory()
complex_part_widget = OPERATIONS["complex_part"].factory()
relative_difference_widget = OPERATIONS["relative_difference"].factory()
rechunk_widget = OPERATIONS["rechunk"].factory()
compute_widget = OPERATIONS["compute"].factory()
to_device_widget = OPERATIONS["to_device"].factory()
