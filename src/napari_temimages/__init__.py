"""napari-temimages: abTEM images in napari.

``from napari_temimages import Images, from_zarr`` gives the Qt-free model; the napari glue
(readers, writers, widgets) lives in the private ``_napari`` modules and is loaded by napari.
"""

from ._core import *  # noqa: F401,F403
from ._core import __all__ as _core_all

__version__ = "0.1.0"
__all__ = list(_core_all)
