#!/usr/bin/env bash
# What fluidity answers, as files and one digest per file, so that a change meant to
# leave behaviour alone (a refactoring) can show it did:
#
#   scripts/behaviour-snapshot.sh BIN OUTDIR      # e.g. target/debug/fluidity /tmp/before
#   ... change the code, build ...
#   scripts/behaviour-snapshot.sh BIN /tmp/after
#   diff /tmp/before/SHA256SUMS /tmp/after/SHA256SUMS && echo byte-identical
#
# scripts/behaviour-snapshot.SHA256SUMS is the reference taken before issue 15's
# restructuring (release build; explain.json retaken after its noise fix): `diff` a
# new run against it.
#
# It records, with the solve time blanked (the only field allowed to differ): the plan
# JSON and text of every shipped example and of generated scenarios (LPs and whole
# units, small to medium), the exported programs (MPS and LP), compare and sweep of the
# finance examples, explain of the tiered example, and validate of an invalid scenario.
set -euo pipefail

bin=$(realpath "${1:?usage: behaviour-snapshot.sh BIN OUTDIR}")
out=${2:?usage: behaviour-snapshot.sh BIN OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
rm -f "$out"/*

# Solve times differ from run to run: blank them (JSON "seconds" and the text's
# "Solved by ... in 0.012 s").
blank() {
  sed -E -e 's/"seconds": [0-9.eE+-]+/"seconds": 0/' \
         -e 's/ in [0-9.]+ s:/ in 0 s:/'
}

# Exit codes 0 (a plan) and 3 (infeasible, still printed) are both answers.
answer() {
  local name=$1
  shift
  local code=0
  "$bin" "$@" > "$out/$name" 2> "$out/$name.stderr" || code=$?
  blank < "$out/$name" > "$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name"
  echo "$code" > "$out/$name.exit"
}

for example in "$root"/examples/*.json "$root"/examples/finance/december-crunch.json \
               "$root"/examples/finance/q4-portfolio.json "$root"/examples/finance/security.json; do
  name=$(basename "$example" .json)
  answer "$name.plan.json" plan "$example" --format json
  answer "$name.plan.txt" plan "$example"
  answer "$name.mps" export "$example" --format mps
  answer "$name.lp" export "$example" --format lp
done

for shape in "20 3 3 1 0" "60 4 3 2 0" "200 6 4 3 0" "30 3 3 4 0.5" "500 6 6 5 0"; do
  read -r initiatives resources periods seed share <<< "$shape"
  name="generated-$initiatives-$resources-$periods-$seed-$share"
  "$bin" generate --initiatives "$initiatives" --resources "$resources" --periods "$periods" \
    --seed "$seed" --integral-share "$share" --out "$out/$name.json"
  answer "$name.plan.json" plan "$out/$name.json" --format json
  answer "$name.mps" export "$out/$name.json" --format mps
done

finance="$root/examples/finance"
answer compare.json compare "$finance/q4-portfolio.json" \
  --variant "$finance/q4-portfolio.what-ifs.variants.json" \
  --variant "$finance/q4-portfolio.capital-cut.variant.json" --format json
answer compare.txt compare "$finance/q4-portfolio.json" \
  --variant "$finance/q4-portfolio.what-ifs.variants.json"
answer sweep.json sweep "$finance/q4-portfolio.json" --resource capital \
  --factors 0.8,0.9,1.0,1.1,1.2 --format json
answer explain.json explain "$root/examples/tiered.json" --jobs 1 --format json
echo '{"periods": [], "resources": [{"id": "eng", "capacity": [-1]}]}' > "$out/invalid.json"
# Its answer is the error on stderr.
(cd "$out" && { "$bin" validate invalid.json > validate.txt 2>&1 || echo "exit $?" >> validate.txt; })

(cd "$out" && sha256sum $(ls | grep -v '^SHA256SUMS$' | grep -v '\.stderr$' | sort) > SHA256SUMS)
echo "$(wc -l < "$out/SHA256SUMS") files digested in $out/SHA256SUMS"
