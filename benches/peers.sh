#!/usr/bin/env bash
# Fluidity side by side with what an analyst would use instead, in one run:
#   fluidity plan (whole process) | the literal LP in highspy | the literal LP in PuLP+CBC
#   | raw highspy on the program `fluidity export` writes.
# Usage: benches/peers.sh [SIZES] [REPS]   e.g. benches/peers.sh small,medium 5
#        benches/peers.sh large 1          (about 390k columns; minutes per run)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${1:-small,medium}"
REPS="${2:-5}"
VENV="${FLUIDITY_BENCH_VENV:-/var/tmp/fluidity-bench-venv}"
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check highspy pulp
cargo build --release --quiet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
"$VENV/bin/python" benches/peers.py bench --binary "${CARGO_TARGET_DIR:-target}/release/fluidity" \
  --sizes "$SIZES" --reps "$REPS" --workdir "$WORK"
