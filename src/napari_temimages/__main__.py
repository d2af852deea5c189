"""``python -m napari_temimages``: napari with the sample data and the plugin's widgets.

Usage::

    python -m napari_temimages                      # samples + widgets, interactive
    python -m napari_temimages FILE.zarr FILE.zip   # open files instead of the samples
    python -m napari_temimages --screenshot out.png # render headlessly, save, exit
    python -m napari_temimages --set-reader-preference   # make dropped *.zarr folders ours

With ``--screenshot`` and no ``DISPLAY`` (a machine without a screen) an ``Xvfb`` server is
started for the run (``apt-get install xvfb``) and stopped afterwards. napari needs a real GL
context, which Qt's ``offscreen`` platform does not give, and a shown window: this is why Xvfb
is used. The exit status is 0 when the picture was saved and is not blank, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Sequence

PLUGIN = "napari-temimages"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m napari_temimages",
        description="Open napari with napari-temimages: sample data (or FILES) and the plugin's widgets.",
    )
    p.add_argument("files", nargs="*", help="abTEM .zarr folders, .zip stores or TIFFs to open instead of the samples")
    p.add_argument("--screenshot", metavar="PATH", help="render (headless under Xvfb if there is no DISPLAY), save PATH, exit")
    p.add_argument("--samples", action="store_true", help="load the sample data even when FILES are given")
    p.add_argument("--no-widgets", action="store_true", help="do not dock the plugin's widgets")
    p.add_argument("--no-grid", action="store_true", help="do not show several images side by side")
    p.add_argument("--size", default="1400x900", help="window size WxH (default 1400x900)")
    p.add_argument(
        "--set-reader-preference",
        action="store_true",
        help="store napari's preference to open *.zarr folders with napari-temimages, then exit",
    )
    return p


# ------------------------------------------------------------------------------ Xvfb
def start_xvfb(screen: str = "1920x1200x24", timeout: float = 15.0) -> subprocess.Popen:
    """Start ``Xvfb`` on a free display, set ``DISPLAY``; returns the process (caller stops it)."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise RuntimeError(
            "no DISPLAY and no Xvfb: install it (apt-get install xvfb libxcb-icccm4 libxcb-keysyms1 "
            "libxcb-cursor0 libxkbcommon-x11-0) or run under xvfb-run"
        )
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + timeout
    try:
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                raise RuntimeError("Xvfb did not start")
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if ready:
                chunk = os.read(read_fd, 16)
                if not chunk:
                    raise RuntimeError("Xvfb did not report its display number")
                number += chunk
    except BaseException:
        proc.terminate()
        raise
    finally:
        os.close(read_fd)
    os.environ["DISPLAY"] = f":{int(number.strip())}"
    return proc


def _prepare_headless_environment() -> subprocess.Popen | None:
    """For ``--screenshot``: make sure Qt gets an X display with GL (Xvfb + xcb)."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        proc = start_xvfb()
        # Qt's offscreen platform has no GL context: napari's canvas would fail or be black.
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        if not os.environ.get("XDG_RUNTIME_DIR"):
            os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="napari-temimages-xdg-")
        return proc
    return None


# ------------------------------------------------------------------------------ viewer
def widget_names() -> list[str]:
    """Display names of the plugin's widgets (from the manifest)."""
    from npe2 import PluginManifest

    manifest = PluginManifest.from_distribution(PLUGIN)
    return [w.display_name for w in (manifest.contributions.widgets or [])]


def build_viewer(files: Sequence[str] = (), *, samples: bool = True, widgets: bool = True, grid: bool = True,
                 show: bool = True, size: tuple[int, int] = (1400, 900), docked: list | None = None):
    """The viewer of the main job: samples and/or files, the widgets docked, y up, readout on.

    The names of the widgets that were docked are appended to ``docked`` when given.
    """
    import napari

    from ._sample_data import SAMPLES
    from ._viewer import prepare_viewer

    viewer = napari.Viewer(title="napari-temimages", show=show)
    prepare_viewer(viewer)
    if samples:
        for key in SAMPLES:
            viewer.open_sample(PLUGIN, key)
    for path in files:
        viewer.open(path, plugin=PLUGIN)
    if widgets:
        for name in widget_names():
            try:  # tabified: one dock area with a tab per widget, not a window-high stack
                viewer.window.add_plugin_dock_widget(PLUGIN, name, tabify=True)
                if docked is not None:
                    docked.append(name)
            except Exception as exc:  # a broken widget must not stop the viewer
                print(f"napari-temimages: could not dock widget {name!r}: {exc}", file=sys.stderr)
    if grid and len(viewer.layers) > 1:
        grid_model = getattr(getattr(viewer, "canvas", None), "grid", None) or viewer.grid
        grid_model.enabled = True
    try:
        viewer.window._qt_window.resize(*size)
    except Exception:
        pass
    viewer.reset_view()
    return viewer


def take_screenshot(viewer, path: str | os.PathLike) -> "object":
    """Save the whole window (canvas, layer list, sliders, docked widgets) to ``path``."""
    from qtpy.QtWidgets import QApplication

    for _ in range(5):  # let Qt lay out the docks and vispy draw
        QApplication.processEvents()
        time.sleep(0.05)
    image = viewer.screenshot(str(path), canvas_only=False, flash=False)
    return image


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.set_reader_preference:
        from ._settings import set_reader_preference

        mapping = set_reader_preference(notify=False)
        print(f"napari reader preferences: {mapping}")
        return 0
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"--size must look like 1400x900, not {args.size!r}", file=sys.stderr)
        return 2
    xvfb = None
    try:
        if args.screenshot:
            try:
                xvfb = _prepare_headless_environment()
            except RuntimeError as exc:
                print(f"napari-temimages: {exc}", file=sys.stderr)
                return 2
        samples = args.samples or not args.files
        docked: list[str] = []
        viewer = build_viewer(
            args.files, samples=samples, widgets=not args.no_widgets, grid=not args.no_grid, size=(width, height),
            docked=docked,
        )
        if not args.screenshot:
            import napari

            napari.run()
            return 0
        import numpy as np

        image = take_screenshot(viewer, args.screenshot)
        n_layers = len(viewer.layers)
        viewer.close()
        std = float(np.asarray(image)[..., :3].std())
        shape = tuple(np.asarray(image).shape)
        if std < 1.0:
            print(f"napari-temimages: screenshot {args.screenshot} is blank (std {std:.2f})", file=sys.stderr)
            return 1
        print(f"saved {args.screenshot} ({shape[1]}x{shape[0]} px, {n_layers} layers, {len(docked)} widgets)")
        return 0
    finally:
        if xvfb is not None:
            xvfb.terminate()
            try:
                xvfb.wait(5)
            except subprocess.TimeoutExpired:
                xvfb.kill()


if __name__ == "__main__":
    sys.exit(main())
