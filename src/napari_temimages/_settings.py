"""Reader preference: make napari open dropped ``*.zarr`` folders with napari-temimages.

napari's builtin reader also claims ``*.zarr``. With two candidate readers and no saved
preference, napari shows a "choose reader" dialog on drag-and-drop and ``viewer.open(path)``
raises ``MultipleReaderError``. :func:`set_reader_preference` stores our plugin in
``settings.plugins.extension2reader`` under ``"*.zarr/"`` — the trailing slash matters: napari
appends the path separator to directories before matching, so ``"*.zarr"`` would never match a
folder. ``.zip`` files are claimed by no builtin reader, so they need no preference unless
another installed plugin (e.g. napari-tiff) also claims ``*.zip``; pass ``zip=True`` then.

Cost of the preference: a non-abTEM ``.zarr`` folder (e.g. OME-Zarr) is first offered to us; we
decline (``get_reader`` returns None) and napari shows its reader dialog, where another reader
can be picked. :func:`clear_reader_preference` removes the preference.

Available as the command "napari-temimages: Open .zarr folders with napari-temimages" (menu
*File → IO Utilities*), as ``python -m napari_temimages --set-reader-preference``, and from
Python: ``from napari_temimages._settings import set_reader_preference``.
"""

from __future__ import annotations

__all__ = ["PLUGIN_NAME", "ZARR_DIR_PATTERN", "ZIP_PATTERN", "set_reader_preference", "clear_reader_preference", "reader_preference"]

PLUGIN_NAME = "napari-temimages"
ZARR_DIR_PATTERN = "*.zarr/"
ZIP_PATTERN = "*.zip"


def _plugin_settings():
    from napari.settings import get_settings

    return get_settings().plugins


def set_reader_preference(zip: bool = False, notify: bool = True) -> dict:
    """Prefer napari-temimages for ``*.zarr/`` folders (and ``*.zip`` if ``zip``); returns the mapping.

    The setting is saved in napari's settings file, so it persists across sessions.
    """
    settings = _plugin_settings()
    mapping = dict(settings.extension2reader)
    mapping[ZARR_DIR_PATTERN] = PLUGIN_NAME
    if zip:
        mapping[ZIP_PATTERN] = PLUGIN_NAME
    settings.extension2reader = mapping
    if notify:
        _info(
            "napari-temimages now opens dropped .zarr folders"
            + (" and .zip files" if zip else "")
            + " (Preferences → Plugins → File extension readers to change)."
        )
    return dict(settings.extension2reader)


def clear_reader_preference() -> dict:
    """Remove napari-temimages' reader preferences; returns the remaining mapping."""
    settings = _plugin_settings()
    settings.extension2reader = {k: v for k, v in settings.extension2reader.items() if v != PLUGIN_NAME}
    return dict(settings.extension2reader)


def reader_preference() -> dict:
    """The patterns currently mapped to napari-temimages."""
    return {k: v for k, v in _plugin_settings().extension2reader.items() if v == PLUGIN_NAME}


def _info(message: str) -> None:
    try:
        from napari.utils.notifications import show_info

        show_info(message)
    except Exception:  # pragma: no cover - napari missing
        print(message)


def set_reader_preference_command() -> None:
    """Manifest command (no arguments): :func:`set_reader_preference` for ``*.zarr/``."""
    set_reader_preference()
