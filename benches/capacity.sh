#!/usr/bin/env bash
# Capacity of one replica: for small, medium and large generated scenarios, a fresh
# `fluidity serve --max-concurrent-solves SLOTS` answers a batch of copies sent with
# `fluidity batch --server --jobs 2xSLOTS` (saturated: plans/s), then single calls
# one after another (latency with nothing queued); its peak memory (VmHWM) is read
# from /proc after each size. Loopback only; prints one table row per size.
#
#   benches/capacity.sh [FLUIDITY_BINARY] [SLOTS]
#
# The binary defaults to the release build in $CARGO_TARGET_DIR; build it with
# `cargo build --release --features highs` for the container image's numbers.
set -euo pipefail
BIN="${1:-${CARGO_TARGET_DIR:-target}/release/fluidity}"
SLOTS="${2:-2}"
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# name initiatives resources periods copies single-calls (FLUIDITY_SIZES overrides)
SIZES="${FLUIDITY_SIZES:-small 50 3 3 400 20
medium 500 6 6 40 9
large 5000 10 13 2 1}"

seconds() { date +%s.%N; }

echo "binary $BIN ($("$BIN" --version)), $SLOTS solve slots, $(nproc) cores"
echo "| size | columns | plans/s (saturated) | single call s (median, max) | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
while read -r name initiatives resources periods copies singles; do
  dir="$WORK/$name"
  mkdir -p "$dir/in"
  "$BIN" generate --initiatives "$initiatives" --resources "$resources" \
    --periods "$periods" --seed 1 --out "$dir/scenario.json"
  for k in $(seq -w 1 "$copies"); do cp "$dir/scenario.json" "$dir/in/c$k.json"; done
  columns="$("$BIN" validate "$dir/scenario.json" | sed -n "s/.* \([0-9,]*\) variables.*/\1/p" | head -n 1)"

  "$BIN" serve --addr 127.0.0.1:0 --max-concurrent-solves "$SLOTS" \
    --max-solve-seconds 1800 >"$dir/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q "^listening on " "$dir/serve.log" && break; sleep 0.05; done
  url="http://$(sed -n 's/^listening on //p' "$dir/serve.log")"

  start="$(seconds)"
  "$BIN" batch "$dir/in" --out "$dir/out" --server "$url" --jobs $((2 * SLOTS)) >/dev/null 2>&1
  end="$(seconds)"
  rate="$(echo "$copies / ($end - $start)" | bc -l)"

  : >"$dir/latency"
  for _ in $(seq 1 "$singles"); do
    s="$(seconds)"
    "$BIN" plan "$dir/scenario.json" --server "$url" --format json >/dev/null
    e="$(seconds)"
    echo "$e - $s" | bc -l >>"$dir/latency"
  done
  median="$(sort -g "$dir/latency" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  max="$(sort -g "$dir/latency" | tail -n 1)"
  rss="$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status")"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
  printf '| %s %sx%sx%s | %s | %.2f | %.3f, %.3f | %s |\n' "$name" "$initiatives" \
    "$resources" "$periods" "$columns" "$rate" "$median" "$max" "$rss"
done <<<"$SIZES"
