"""Live diffractogram dock: the diffractogram (|FFT|, 1/Å) of the image member on screen.

Computed by the core model (``Images.diffractograms``) on the ensemble member the dims sliders
show (only that member is computed for lazy data) and drawn by the core's ``show`` with the zero
frequency in the centre, axes in 1/Å; it follows the sliders, the layer's data and napari's theme.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from magicgui.widgets import ComboBox

from ._plot import PlotDock

__all__ = ["DiffractogramDock", "DISPLAYS"]

#: display name -> keyword arguments of ``show``
DISPLAYS = {
    "power 0.25": {"power": 0.25},
    "log": {"logscale": True},
    "linear": {},
}


class DiffractogramDock(PlotDock):
    """Diffractogram of the slice on screen."""

    hint = "choose a real-space image layer"

    def __init__(self, napari_viewer: Any, parent: Any = None):
        self.diffractogram: Any = None
        self.indices: tuple = ()
        super().__init__(napari_viewer, parent)
        self.display.changed.connect(self.schedule)

    def make_controls(self) -> list:
        self.display = ComboBox(label="display", choices=list(DISPLAYS), value="power 0.25")
        return [self.display]

    def clear_result(self) -> None:
        self.diffractogram = None

    def draw(self, obj: Any, member: Any, indices: tuple) -> None:
        dp = member.diffractograms()
        self.diffractogram, self.indices = dp, indices
        kwargs = dict(DISPLAYS[self.display.value])
        if kwargs.get("logscale"):
            values = np.asarray(dp.array)
            positive = values[values > 0]
            if positive.size:
                kwargs["vmin"] = max(float(positive.min()), float(positive.max()) * 1e-7)
        dp.show(ax=self.ax, display=False, cmap="inferno", title=self.title(obj, indices), **kwargs)
