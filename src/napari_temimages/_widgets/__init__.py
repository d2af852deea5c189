"""napari widgets of napari-temimages (the only place with Qt besides napari's own glue).

* :mod:`.operations` — one magicgui widget per ``Images`` operation;
* :mod:`.line_profile` — the line-profile dock (draw a line, see the profile in Å);
* :mod:`.diffractogram` — the live diffractogram dock (1/Å);
* :mod:`.console` — ``napari_temimages`` and ``Images`` in napari's console;
* :mod:`._worker` — run work in a thread with napari's progress bar and a cancel button.

Widgets only call the core model (``napari_temimages._core``) through
:mod:`napari_temimages.layer_data`; they never re-implement the maths.
"""
