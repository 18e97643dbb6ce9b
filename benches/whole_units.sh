#!/usr/bin/env bash
# Whole units: how close each build gets to the optimum in a given time, side by side
# with HiGHS (highspy) on the program `fluidity export` writes.
#   fluidity plan --time-limit S, for S in LIMITS, in each build: objective, reported
#   bound and gap, and the shortfall against the reference optimum;
#   highspy on the exported MPS at the same limits (the peer), and once to a proof
#   (mip_rel_gap 1e-9) for the reference optimum.
# Usage: benches/whole_units.sh [INITIATIVES] [LIMITS]   e.g. benches/whole_units.sh 100 1,3,5,10
# FLUIDITY_HIGHS=1 also builds `--features highs` (needs cmake and libclang-dev; its own
# target dir, FLUIDITY_HIGHS_TARGET_DIR, default target/highs); the export (whose tier
# stage is solved to the gap first) and the highspy rows need it. FLUIDITY_OPTIMUM gives
# the reference optimum instead of the proof run (about 100 s at 100 initiatives);
# without the highs build it is required (93588.45 for 100 initiatives, measured).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100}"
LIMITS="${2:-1,3,5,10}"
VENV="${FLUIDITY_BENCH_VENV:-/var/tmp/fluidity-bench-venv}"
[ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check highspy
cargo build --release --quiet
declare -A BIN=([default]="${CARGO_TARGET_DIR:-target}/release/fluidity")
if [ "${FLUIDITY_HIGHS:-0}" = 1 ]; then
  HIGHS_DIR="${FLUIDITY_HIGHS_TARGET_DIR:-target/highs}"
  cargo build --release --quiet --features highs --target-dir "$HIGHS_DIR"
  BIN[highs]="$HIGHS_DIR/release/fluidity"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SCENARIO="$WORK/integral.json"
"${BIN[default]}" generate --initiatives "$N" --resources 4 --periods 6 --seed 5 \
  --integral-share 1.0 --out "$SCENARIO"
PEER=0
if [ -n "${BIN[highs]:-}" ]; then
  "${BIN[highs]}" export "$SCENARIO" --format mps --out "$WORK/final.mps"
  PEER=1
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "workload: fluidity generate --initiatives $N --resources 4 --periods 6 --seed 5 --integral-share 1.0"

highs_run() { # LIMIT GAP -> objective
  "$VENV/bin/python" - "$WORK/final.mps" "$1" "$2" <<'EOF'
import sys, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("threads", 1)
h.setOptionValue("mip_rel_gap", float(sys.argv[3]))
if sys.argv[2] != "none":
    h.setOptionValue("time_limit", float(sys.argv[2]))
h.readModel(sys.argv[1])
h.run()
print(h.getInfo().objective_function_value)
EOF
}

if [ -n "${FLUIDITY_OPTIMUM:-}" ]; then
  OPTIMUM="$FLUIDITY_OPTIMUM"
elif [ "$PEER" = 1 ]; then
  OPTIMUM="$(highs_run none 1e-9)"
else
  echo "set FLUIDITY_OPTIMUM, or FLUIDITY_HIGHS=1 to prove it" >&2
  exit 2
fi
echo "reference optimum (HiGHS, mip_rel_gap 1e-9 on the exported final stage): $OPTIMUM"
printf '%-8s %8s %14s %14s %10s %14s\n' build limit_s objective bound gap short_of_opt
for limit in ${LIMITS//,/ }; do
  for build in "${!BIN[@]}"; do
    "${BIN[$build]}" plan "$SCENARIO" --time-limit "$limit" --format json >"$WORK/plan.json"
    "$VENV/bin/python" - "$WORK/plan.json" "$OPTIMUM" "$build" "$limit" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1])); opt = float(sys.argv[2])
s = p["solver"]
print(f'{sys.argv[3]:<8} {sys.argv[4]:>8} {p["objective"]:>14.2f} {s["bound"]:>14.2f} '
      f'{100*s["gap"]:>9.3f}% {100*(opt-p["objective"])/opt:>13.3f}%')
EOF
  done
  [ "$PEER" = 1 ] || continue
  peer="$(highs_run "$limit" 1e-4)"
  "$VENV/bin/python" -c "import sys; o=float(sys.argv[1]); opt=float(sys.argv[2]); print(f'{\"highspy\":<8} {sys.argv[3]:>8} {o:>14.2f} {\"\":>14} {\"\":>10} {100*(opt-o)/opt:>13.3f}%')" "$peer" "$OPTIMUM" "$limit"
done
