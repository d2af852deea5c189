#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job: napari with the plugin and a sample abTEM
# dataset. Without a screen (no DISPLAY) it renders under Xvfb and saves screenshot.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset QT_QPA_PLATFORM
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
if [ -z "${DISPLAY:-}" ]; then
    exec xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m napari_temimages --screenshot "${1:-screenshot.png}"
fi
exec .venv/bin/python -m napari_temimages "$@"
