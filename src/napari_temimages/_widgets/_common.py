"""Glue shared by the operation widgets and the docks: notifications, layer <-> object, outputs.

Every conversion goes through :mod:`napari_temimages.layer_data` (``from_layer`` /
``to_layer_data``); nothing here computes image data.
"""

from __future__ import annotations

import logging
import re
import weakref
from typing import Any, Iterable, Sequence

from .._core.errors import (
    AbtemFileError,
    DeviceUnavailableError,
    InvalidArgumentError,
    InvalidTypeError,
)
from ..layer_data import from_layer

__all__ = [
    "EXPECTED_ERRORS",
    "notify_error",
    "notify_info",
    "notify_exception",
    "current_viewer",
    "base_name",
    "object_of",
    "member_indices",
    "member_of",
    "OutputLayers",
    "update_layer",
    "layer_kind",
    "unwrap",
]

_log = logging.getLogger(__name__)

#: Exceptions that mean "bad parameters / unsuitable data": shown as a plain message.
EXPECTED_ERRORS = (
    InvalidArgumentError,
    InvalidTypeError,
    DeviceUnavailableError,
    AbtemFileError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    MemoryError,
)


def notify_error(message: str) -> None:
    """A napari error notification (also in ``notification_manager.records``)."""
    from napari.utils.notifications import show_error

    show_error(message)


def notify_info(message: str) -> None:
    from napari.utils.notifications import show_info

    show_info(message)


def notify_exception(title: str, exc: BaseException) -> None:
    """Notification naming the problem: ``"<title>: <message>"`` (type name added for bugs)."""
    _log.debug("%s failed", title, exc_info=(type(exc), exc, exc.__traceback__))
    if isinstance(exc, EXPECTED_ERRORS):
        text = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError) and exc.args:
            text = str(exc.args[0])
    else:
        _log.error("%s failed", title, exc_info=(type(exc), exc, exc.__traceback__))
        text = f"{type(exc).__name__}: {exc}"
    head = title.lower().replace(" ", "_")
    for prefix in (f"{head}: ", f"{title.lower()}: "):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    notify_error(f"{title}: {text}")


def current_viewer(widget: Any = None) -> Any:
    """The viewer a widget is docked in, else napari's current viewer, else None."""
    if widget is not None:
        try:
            from magicgui.widgets import Widget
            from napari.utils._magicgui import find_viewer_ancestor

            native = widget.native if isinstance(widget, Widget) else widget
            viewer = find_viewer_ancestor(native)
            if viewer is not None:
                return viewer
        except Exception:  # pragma: no cover - napari internals moved
            pass
    try:
        import napari

        return napari.current_viewer()
    except Exception:  # pragma: no cover
        return None


_KINDS = ("image", "labels", "shapes", "points", "surface", "tracks", "vectors")


def layer_kind(layer: Any) -> str:
    """``"image"``, ``"shapes"``, ... for a napari layer (or its public proxy); ``""`` otherwise."""
    if layer is None:
        return ""
    kind = type(unwrap(layer)).__name__.lower()
    return kind if kind in _KINDS and hasattr(layer, "data") else ""


def unwrap(obj: Any) -> Any:
    """The object behind napari's ``PublicOnlyProxy`` (what plugin widgets are given)."""
    try:
        from napari.utils._proxies import PublicOnlyProxy
    except ImportError:  # pragma: no cover
        return obj
    while isinstance(obj, PublicOnlyProxy):
        obj = obj.__wrapped__
    return obj


_SUFFIX = re.compile(r" \((amplitude|phase|log)\)$")


def base_name(layer: Any) -> str:
    """Layer name without the `` (amplitude)``/`` (phase)``/`` (log)`` suffix of derived views."""
    return _SUFFIX.sub("", str(getattr(layer, "name", layer)))


def object_of(layer: Any, accepts: Sequence[type] | None = None, what: str = "this operation") -> Any:
    """The measurement a layer shows (``layer_data.from_layer``), checked against ``accepts``."""
    if layer is None:
        raise InvalidArgumentError("choose an image layer")
    if layer_kind(layer) != "image":
        raise InvalidTypeError(f"layer {layer.name!r} is not an image layer")
    obj = from_layer(layer)
    if accepts and not isinstance(obj, tuple(accepts)):
        names = " or ".join(c.__name__ for c in accepts)
        raise InvalidTypeError(f"{what} needs {names}; layer {layer.name!r} holds {type(obj).__name__}")
    return obj


def member_indices(viewer: Any, layer: Any, n_ensemble: int) -> tuple[int, ...]:
    """Indices of the ensemble member of ``layer`` shown at the viewer's dims point."""
    if n_ensemble == 0:
        return ()
    from .._viewer import layer_indices

    point = list(viewer.dims.point)
    ndim = layer.ndim
    point = point[-ndim:] if len(point) >= ndim else [0.0] * (ndim - len(point)) + point
    return tuple(layer_indices(layer, point, n_ensemble))


def member_of(obj: Any, indices: Sequence[int]) -> Any:
    """One eager ensemble member (a 2D object) of ``obj``; computes only that member."""
    member = obj[tuple(int(i) for i in indices)] if indices else obj
    return member.compute() if member.is_lazy else member


def update_layer(layer: Any, data: Any, meta: dict, layer_type: str) -> None:
    """Replace a layer's data and attributes in place (same layer object, same list position)."""
    layer.data = data
    for key in ("scale", "translate", "units", "axis_labels"):
        if key in meta:
            setattr(layer, key, meta[key])
    if "metadata" in meta:
        layer.metadata = dict(meta["metadata"])
    if layer_type == "image":
        limits = meta.get("contrast_limits")
        if limits is not None:
            lo, hi = (float(v) for v in limits)
            rlo, rhi = layer.contrast_limits_range
            layer.contrast_limits_range = (min(lo, rlo), max(hi, rhi))
            layer.contrast_limits = (lo, hi)
        for key in ("colormap", "gamma"):
            if key in meta:
                setattr(layer, key, meta[key])
    elif layer_type == "shapes":
        for key in ("edge_width", "edge_color"):
            if key in meta:
                setattr(layer, key, meta[key])
    name = meta.get("name")
    if name and layer.name != name:
        layer.name = name
    layer.refresh()


def _add_layer(viewer: Any, data: Any, meta: dict, layer_type: str, index: int | None) -> Any:
    layer = getattr(viewer, f"add_{layer_type}")(data, **meta)
    if index is not None:
        current = viewer.layers.index(layer)
        if current != index:
            viewer.layers.move(current, index)
    return layer


class OutputLayers:
    """The output layers of one widget: updated in place when it runs again.

    Outputs are remembered through weak references. On the next run, if the old outputs are
    still in the viewer, are not inputs of this run and match the new outputs in number and
    type, they are updated in place (data, scale, units, labels, metadata, contrast); otherwise
    new layers are added (old outputs that are no inputs are replaced at their position).
    """

    def __init__(self) -> None:
        self._refs: list[weakref.ref] = []

    @property
    def layers(self) -> list:
        return [layer for layer in (r() for r in self._refs) if layer is not None]

    def apply(self, viewer: Any, tuples: Sequence[tuple], inputs: Iterable[Any] = ()) -> list:
        inputs = [i for i in inputs if i is not None]
        old = [
            layer
            for layer in self.layers
            if layer in viewer.layers and not any(layer is i for i in inputs)
        ]
        types = [t[2] if len(t) > 2 else "image" for t in tuples]
        out = []
        if old and len(old) == len(tuples) and all(layer_kind(layer) == t for layer, t in zip(old, types, strict=True)):
            for layer, (data, meta, *_), layer_type in zip(old, tuples, types, strict=True):
                update_layer(layer, data, meta, layer_type)
                out.append(layer)
        else:
            index = viewer.layers.index(old[0]) if old else None
            for layer in old:
                viewer.layers.remove(layer)
            for k, ((data, meta, *_), layer_type) in enumerate(zip(tuples, types, strict=True)):
                position = None if index is None else min(index + k, len(viewer.layers))
                out.append(_add_layer(viewer, data, meta, layer_type, position))
        self._refs = [weakref.ref(layer) for layer in out]
        return out


def ensemble_choices(obj: Any) -> list[tuple[str, int]]:
    """``[(label, axis index), ...]`` for the ensemble axes of ``obj`` (for Select widgets)."""
    out = []
    for i, axis in enumerate(obj.ensemble_axes_metadata):
        label = axis.label or type(axis).__name__
        n = obj.ensemble_shape[i]
        out.append((f"{i}: {label} ({n})", i))
    return out
