#!/usr/bin/env python3
"""Do the backends agree? Plans seeded random scenarios with each named solver and
prints every scenario where a solver's status or objective differs from the first
one's (1e-6 relative), then a count per solver. A disagreement between two OPTIMAL
answers means one of them is wrong: this is a hunt for wrong answers, not a test (it
has no reference of its own beyond the first solver; it never times anything).

    scripts/solver-agreement.py BIN KIND FIRST [COUNT] [SOLVERS]
    scripts/solver-agreement.py target/release/fluidity units 0 200 highs,lpsolve,microlp,clarabel

KIND:
  units    every resource in a unit of its own (capacity and requirements x k_r,
           k_r from 1e-6 to 1e9), every value in one currency (x v, v from 1e-9 to
           1e6), the base numbers ordinary: what finance and HR data look like.
  hostile  every number drawn on its own from 1e-9 to 3.7e12: spreads of 1e15 to
           1e24 inside one scenario, past what double precision can resolve.

BIN must be a highs build to name `highs`. The scenarios are written to
$TMPDIR/solver-agreement/KIND/sSEED.json so a disagreement can be replayed with
`BIN plan FILE --solver NAME`. Results on 2026-12-02 are in BENCHMARKS.md
("Do the backends agree?").
"""
import json
import os
import random
import subprocess
import sys
import tempfile


def units(r):
    """Ordinary numbers, each resource in its own unit, values in one currency."""
    K = [1e-6, 1e-3, 1, 1e3, 1e6, 1e9]
    V = [1e-9, 1e-6, 1e-3, 1, 1e3, 1e6]
    P, R, I = r.randint(1, 4), r.randint(1, 4), r.randint(2, 8)
    k = [r.choice(K) for _ in range(R)]
    v = r.choice(V)
    integral_all = r.random() < 0.3
    resources = []
    for q in range(R):
        base = r.uniform(20, 200)
        d = {"id": f"r{q}",
             "capacity": [round(base * r.uniform(0.8, 1.2), 3) * k[q]
                          for _ in range(r.choice([1, P]))]}
        if r.random() < 0.6:
            d["reserveMin"] = r.choice([0, 0.1, 0.15])
        if r.random() < 0.5:
            d["moveCost"] = round(r.uniform(0.1, 3), 3) * v / k[q]
        if r.random() < 0.3:
            d["maxChurn"] = r.choice([0, 0.05, 0.2])
        resources.append(d)
    initiatives = []
    for i in range(I):
        req = {f"r{q}": round(r.uniform(0.5, 5), 2) * k[q]
               for q in range(R) if r.random() < 0.7} or {"r0": k[0]}
        d = {"id": f"i{i}", "requirements": req,
             "current": r.choice([0, r.randint(1, 10)])}
        per_unit = sorted((round(r.uniform(1, 100), 2) * v
                           for _ in range(r.randint(1, 3))), reverse=True)
        d["value"] = segments(r, per_unit, lambda: r.randint(1, 8))
        if len(per_unit) == 1 or r.random() < 0.5:
            d["max"] = r.randint(5, 30)
        common_options(r, d, integral_all, lambda: r.randint(1, 4))
        initiatives.append(d)
    return P, resources, initiatives, {"mipGap": 0}


def hostile(r):
    """Every number on its own scale, from 1e-9 to 3.7e12."""
    def m():
        return r.choice([1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9, 1e12]) * r.choice([1, 2, 3.7])
    P, R, I = r.randint(1, 3), r.randint(1, 3), r.randint(1, 4)
    resources = []
    for q in range(R):
        d = {"id": f"r{q}", "capacity": [m() for _ in range(r.choice([1, P]))]}
        if r.random() < 0.5:
            d["reserveMin"] = r.choice([0, 0.1, 0.15])
        if r.random() < 0.5:
            d["moveCost"] = m()
        if r.random() < 0.4:
            d["maxChurn"] = r.choice([0, 0.05, 0.5, 1])
        resources.append(d)
    initiatives = []
    for i in range(I):
        req = {f"r{q}": m() for q in range(R) if r.random() < 0.8} or {"r0": m()}
        d = {"id": f"i{i}", "requirements": req, "current": r.choice([0, m()])}
        per_unit = sorted((m() for _ in range(r.randint(1, 3))), reverse=True)
        d["value"] = segments(r, per_unit, m)
        common_options(r, d, False, m)
        initiatives.append(d)
    policy = {}
    if r.random() < 0.5:
        policy["mipGap"] = r.choice([0, 1e-4, 0.01])
    return P, resources, initiatives, policy


def segments(r, per_unit, width):
    """A concave curve: falling values per unit, rising upTo, the last one open."""
    curve, up = [{"perUnit": x} for x in per_unit], 0
    for segment in curve[:-1]:
        up += width()
        segment["upTo"] = up
    return curve


def common_options(r, d, integral, step):
    if integral or r.random() < 0.2:
        d["integral"] = True
    if r.random() < 0.2:
        d["kind"] = "OPERATIONS"
        d["min"] = d["current"] * r.choice([0.5, 1])
    if r.random() < 0.2:
        d["rampUp"] = step()
    if r.random() < 0.2:
        d["rampDown"] = step()


def answer(binary, path, solver):
    """(status, objective), or a short error, or TIMEOUT."""
    try:
        run = subprocess.run([binary, "plan", path, "--format", "json", "--solver", solver],
                             capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "TIMEOUT"
    if run.returncode in (0, 3):
        plan = json.loads(run.stdout)
        return plan["status"], plan.get("objective")
    said = [line for line in run.stderr.splitlines() if " WARN " not in line]
    return "ERROR " + " | ".join(said)[:200]


def agree(a, b):
    if a == b:
        return True
    if not (isinstance(a, tuple) and isinstance(b, tuple)) or a[0] != b[0]:
        return False
    if a[1] is None or b[1] is None:
        return a[1] is b[1]
    return abs(a[1] - b[1]) <= 1e-6 * max(abs(a[1]), abs(b[1]), 1e-12)


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("units", "hostile"):
        sys.exit(__doc__)
    binary, kind, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    solvers = (sys.argv[5] if len(sys.argv) > 5 else "highs,lpsolve,microlp,clarabel").split(",")
    folder = os.path.join(tempfile.gettempdir(), "solver-agreement", kind)
    os.makedirs(folder, exist_ok=True)
    generate = units if kind == "units" else hostile
    differ = {s: 0 for s in solvers}
    for seed in range(first, first + count):
        periods, resources, initiatives, policy = generate(random.Random(seed))
        scenario = {"name": f"{kind} {seed}", "periods": [{"id": f"p{t}"} for t in range(periods)],
                    "resources": resources, "initiatives": initiatives, "policy": policy}
        path = os.path.join(folder, f"s{seed}.json")
        with open(path, "w") as f:
            json.dump(scenario, f)
        integral = any(i.get("integral") for i in initiatives)
        answers = {s: answer(binary, path, s) for s in solvers
                   if not (s == "clarabel" and integral)}  # Clarabel has no whole units
        reference = answers[solvers[0]]
        odd = [f"{s}={a}" for s, a in answers.items() if not agree(a, reference)]
        for s, a in answers.items():
            differ[s] += not agree(a, reference)
        if odd:
            print(seed, f"{solvers[0]}={reference}", *odd, flush=True)
    print(f"{count} {kind} scenarios; disagreeing with {solvers[0]}:",
          ", ".join(f"{s} {n}" for s, n in differ.items() if s != solvers[0]))


if __name__ == "__main__":
    main()
