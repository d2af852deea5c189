# Sourced by run.sh and test.sh: set up the machine, then a headless-safe Qt environment.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
unset QT_QPA_PLATFORM  # must not be "offscreen": napari's canvas needs xcb on (X)vfb
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
