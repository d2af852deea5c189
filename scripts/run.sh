#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job: napari with the plugin and a sample abTEM
# dataset. Without a screen (no DISPLAY) python -m napari_temimages starts its own Xvfb and
# saves screenshot.png (or the path given as first argument).
set -euo pipefail
source "$(dirname "$0")/common.sh"
if [ -z "${DISPLAY:-}" ]; then
    exec .venv/bin/python -m napari_temimages --screenshot "${1:-screenshot.png}"
fi
exec .venv/bin/python -m napari_temimages "$@"
