#!/usr/bin/env bash
# Fluidity side by side with what an analyst would use instead, in one run:
#   fluidity plan (whole process) | the literal LP in highspy | the literal LP in PuLP+CBC
#   | raw highspy on the program `fluidity export` writes.
# Usage: benches/peers.sh [SIZES] [REPS]   e.g. benches/peers.sh small,medium 5
#        benches/peers.sh large 1          (about 300k columns; minutes per run)
# FLUIDITY_HIGHS=1 also builds `--features highs` (needs cmake and libclang-dev; its
# own target dir, FLUIDITY_HIGHS_TARGET_DIR, default target/highs) and runs both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${1:-small,medium}"
REPS="${2:-5}"
VENV="${FLUIDITY_BENCH_VENV:-/var/tmp/fluidity-bench-venv}"
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check highspy pulp
cargo build --release --quiet
BUILDS=(--binary "default=${CARGO_TARGET_DIR:-target}/release/fluidity")
if [ "${FLUIDITY_HIGHS:-0}" = 1 ]; then
  HIGHS_DIR="${FLUIDITY_HIGHS_TARGET_DIR:-target/highs}"
  cargo build --release --quiet --features highs --target-dir "$HIGHS_DIR"
  BUILDS+=(--binary "highs=$HIGHS_DIR/release/fluidity")
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
"$VENV/bin/python" benches/peers.py bench "${BUILDS[@]}" \
  --sizes "$SIZES" --reps "$REPS" --workdir "$WORK"
