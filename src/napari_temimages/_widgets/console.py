"""napari's console: ``napari_temimages`` and ``Images`` ready to use.

:func:`inject_namespace` pushes the names into a viewer's console (or its backlog, if the
console has not been opened yet: napari pushes the backlog when it creates the console). Every
widget of the plugin calls it when it is docked; the *Scripting console* widget also opens the
console and shows an example::

    images = Images.from_layer(viewer.layers.selection.active)
    images.gaussian_filter(0.5).diffractograms().add_to_viewer(viewer)
"""

from __future__ import annotations

from typing import Any

from qtpy.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

__all__ = ["EXAMPLE", "namespace", "inject_namespace", "ConsoleWidget"]

EXAMPLE = """\
# the selected layer as an abTEM-style Images (lazy if the file is)
images = Images.from_layer(viewer.layers.selection.active)
filtered = images.gaussian_filter(0.5)          # σ in Å
filtered.diffractograms().add_to_viewer(viewer)  # back as layers in 1/Å
images.reduce_ensemble().compute().to_zarr("mean.zarr")
"""


def namespace() -> dict:
    """The names put into napari's console."""
    import napari_temimages

    from .. import layer_data

    return {
        "napari_temimages": napari_temimages,
        "Images": napari_temimages.Images,
        "DiffractionPatterns": napari_temimages.DiffractionPatterns,
        "from_zarr": napari_temimages.from_zarr,
        "from_layer": layer_data.from_layer,
    }


def inject_namespace(viewer: Any) -> bool:
    """Put :func:`namespace` into ``viewer``'s console; False if the viewer has no Qt window."""
    if viewer is None or not hasattr(viewer, "update_console"):
        return False
    try:
        viewer.update_console(namespace())
    except Exception:  # headless viewer or console unavailable: the widgets work without it
        return False
    return True


class ConsoleWidget(QWidget):
    """Puts ``napari_temimages`` and ``Images`` into the console, shows an example, opens the console."""

    def __init__(self, napari_viewer: Any, parent: Any = None):
        super().__init__(parent)
        from ._common import unwrap

        self.viewer = unwrap(napari_viewer)
        inject_namespace(self.viewer)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>napari_temimages</b> and <b>Images</b> are in napari's console:"))
        self.example = QPlainTextEdit(EXAMPLE)
        self.example.setReadOnly(True)
        layout.addWidget(self.example)
        self.open_button = QPushButton("Open console")
        self.open_button.clicked.connect(self.open_console)
        layout.addWidget(self.open_button)

    def open_console(self) -> None:
        inject_namespace(self.viewer)
        qt_viewer = self.viewer.window._qt_viewer
        if not qt_viewer.dockConsole.isVisible():
            qt_viewer.toggle_console_visibility()
