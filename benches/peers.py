"""Side-by-side peers for `benches/peers.sh`: what an analyst would do instead of
Fluidity, on the same scenario JSON.

  peers.py highs SCENARIO   build MODEL.md's LP literally (every a, s, up, down column
                            and every row, for every initiative) and solve with highspy
  peers.py pulp SCENARIO    the same model through PuLP and its bundled CBC
  peers.py raw MPS          highspy on the program `fluidity export` wrote (raw solver)

Each prints one JSON line: {"seconds": wall time of build + solve, "objective": ...}.
Tiers are solved in stages as the model document says."""

import json
import sys
import time


def load(path):
    with open(path) as f:
        return json.load(f)


def model(s):
    """The scenario's data with the model document's defaults applied."""
    periods = s["periods"]
    T = len(periods)
    weight = [p.get("weight", 1.0) for p in periods]
    res = s["resources"]
    rid = {r["id"]: k for k, r in enumerate(res)}
    cap = [[(r["capacity"][0] if len(r["capacity"]) == 1 else r["capacity"][t]) for t in range(T)] for r in res]
    inits = s.get("initiatives", [])
    out = []
    for i in inits:
        segs = i.get("value", [])
        last = segs[-1].get("upTo") if segs else None
        mx = i.get("max")
        hi = min(x for x in [mx, last, float("inf")] if x is not None)
        if i.get("locked"):
            lo = hi = i.get("current", 0.0)
        else:
            if "min" in i:
                lo = i["min"]
            elif i.get("kind") == "OPERATIONS":
                lo = min(i.get("current", 0.0), hi)
            else:
                lo = 0.0
        lens, below = [], 0.0
        for seg in segs:
            up = seg.get("upTo")
            lens.append((up - below) if up is not None else float("inf"))
            below = up if up is not None else below
        if i.get("locked") and segs and i.get("current", 0.0) > sum(lens):
            lens.append(float("inf"))
            segs = segs + [{"perUnit": 0.0}]
        req = {rid[k]: v for k, v in i.get("requirements", {}).items()}
        mc = sum(v * res[r].get("moveCost", 0.0) for r, v in req.items())
        out.append(dict(id=i["id"], lo=lo, hi=hi, lens=lens, per=[g.get("perUnit", 0.0) for g in segs],
                        req=req, mc=mc, cur=i.get("current", 0.0), up=i.get("rampUp"), down=i.get("rampDown"),
                        integral=i.get("integral", False), tier=i.get("tier", 0)))
    return T, weight, res, cap, out, rid


def build(s):
    """Columns (lower, upper, integer, name) and rows (terms, lower, upper), literally."""
    T, weight, res, cap, inits, rid = model(s)
    cols, rows = [], []

    def col(lo, hi, integer=False):
        cols.append([lo, hi, integer])
        return len(cols) - 1

    a, seg, up, down = {}, {}, {}, {}
    for i, m in enumerate(inits):
        for t in range(T):
            a[i, t] = col(m["lo"], m["hi"], m["integral"])
            for k, ln in enumerate(m["lens"]):
                seg[i, t, k] = col(0.0, ln)
            up[i, t] = col(0.0, m["up"] if m["up"] is not None else float("inf"))
            down[i, t] = col(0.0, m["down"] if m["down"] is not None else float("inf"))
    inf = float("inf")
    for r, resource in enumerate(res):
        keep = 1.0 - resource.get("reserveMin", 0.0)
        for t in range(T):
            terms = [(a[i, t], m["req"][r]) for i, m in enumerate(inits) if m["req"].get(r, 0) > 0]
            rows.append((terms, -inf, keep * cap[r][t]))
    for i, m in enumerate(inits):
        for t in range(T):
            if m["lens"]:
                rows.append(([(a[i, t], 1.0)] + [(seg[i, t, k], -1.0) for k in range(len(m["lens"]))], 0.0, 0.0))
            terms = [(a[i, t], 1.0), (up[i, t], -1.0), (down[i, t], 1.0)]
            rhs = m["cur"] if t == 0 else 0.0
            if t > 0:
                terms.append((a[i, t - 1], -1.0))
            rows.append((terms, rhs, rhs))
    for r, resource in enumerate(res):
        if "maxChurn" in resource:
            for t in range(T):
                terms = []
                for i, m in enumerate(inits):
                    if m["req"].get(r, 0) > 0:
                        terms += [(up[i, t], m["req"][r]), (down[i, t], m["req"][r])]
                rows.append((terms, -inf, resource["maxChurn"] * cap[r][t]))
    iid = {m["id"]: i for i, m in enumerate(inits)}
    for g in s.get("groups", []):
        r = rid[g["resource"]]
        members = sorted({iid[x] for x in g["initiatives"]})
        for t in range(T):
            terms = [(a[i, t], inits[i]["req"][r]) for i in members if inits[i]["req"].get(r, 0) > 0]
            rows.append((terms, g.get("min", -inf), g.get("max", inf)))
    for d in s.get("dependencies", []):
        b, q = iid[d["initiative"]], iid[d["requires"]]
        for t in range(T):
            rows.append(([(a[b, t], 1.0), (a[q, t], -d.get("ratio", 1.0))], -inf, 0.0))

    def value_terms(select):
        terms = []
        for i, m in enumerate(inits):
            if select(m):
                for t in range(T):
                    for k, p in enumerate(m["per"]):
                        if p != 0:
                            terms.append((seg[i, t, k], weight[t] * p))
        return terms

    final = value_terms(lambda m: True)
    for i, m in enumerate(inits):
        if m["mc"] > 0:
            for t in range(T):
                final += [(up[i, t], -m["mc"]), (down[i, t], -m["mc"])]
    tiers = sorted({m["tier"] for m in inits if m["tier"] > 0})
    stages = [value_terms(lambda m, k=k: m["tier"] == k) for k in tiers]
    tolerance = s.get("policy", {}).get("tierTolerance", 0.0)
    return cols, rows, stages, final, tolerance


def solve_highs(s):
    import highspy
    cols, rows, stages, final, tol = build(s)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = len(cols)
    lp.num_row_ = len(rows)
    lp.col_cost_ = [0.0] * len(cols)
    lp.col_lower_ = [c[0] for c in cols]
    lp.col_upper_ = [c[1] if c[1] != float("inf") else highspy.kHighsInf for c in cols]
    lp.row_lower_ = [r[1] if r[1] != -float("inf") else -highspy.kHighsInf for r in rows]
    lp.row_upper_ = [r[2] if r[2] != float("inf") else highspy.kHighsInf for r in rows]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    starts, index, value = [0], [], []
    for terms, _, _ in rows:
        for c, v in terms:
            index.append(c)
            value.append(v)
        starts.append(len(index))
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if any(c[2] for c in cols):
        lp.integrality_ = [highspy.HighsVarType.kInteger if c[2] else highspy.HighsVarType.kContinuous for c in cols]
    lp.sense_ = highspy.ObjSense.kMaximize
    h.passModel(lp)

    def run(terms):
        cost = [0.0] * len(cols)
        for c, v in terms:
            cost[c] += v
        h.changeColsCost(len(cols), list(range(len(cols))), cost)
        h.run()
        return h.getInfo().objective_function_value

    for terms in stages:
        best = run(terms)
        floor = best - tol * abs(best) - 1e-7 * max(1.0, abs(best))
        idx = [c for c, _ in terms]
        val = [v for _, v in terms]
        h.addRow(floor, highspy.kHighsInf, len(idx), idx, val)
    return run(final)


def solve_pulp(s):
    import pulp
    cols, rows, stages, final, tol = build(s)
    prob = pulp.LpProblem("fluidity", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", lowBound=c[0], upBound=None if c[1] == float("inf") else c[1],
                         cat="Integer" if c[2] else "Continuous") for j, c in enumerate(cols)]
    for k, (terms, lo, hi) in enumerate(rows):
        e = pulp.lpSum(v * x[c] for c, v in terms)
        if lo == hi:
            prob += (e == lo), f"r{k}"
        else:
            if lo != -float("inf"):
                prob += (e >= lo), f"l{k}"
            if hi != float("inf"):
                prob += (e <= hi), f"u{k}"
    solver = pulp.PULP_CBC_CMD(msg=0)
    for n, terms in enumerate(stages):
        prob.setObjective(pulp.lpSum(v * x[c] for c, v in terms))
        prob.solve(solver)
        best = pulp.value(prob.objective) or 0.0
        prob += (pulp.lpSum(v * x[c] for c, v in terms) >= best - tol * abs(best) - 1e-7 * max(1.0, abs(best))), f"tier{n}"
    prob.setObjective(pulp.lpSum(v * x[c] for c, v in final))
    prob.solve(solver)
    return pulp.value(prob.objective)


def solve_raw(path):
    import highspy
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(path)
    h.run()
    return h.getInfo().objective_function_value


SIZES = {"small": (50, 3, 3), "medium": (500, 6, 6), "large": (5000, 10, 13)}


def run_measured(cmd):
    """Runs `cmd`; returns (wall seconds, peak resident MB of that process, stdout)."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}")
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024.0, out.read()


def bench(builds, sizes, reps, workdir, skip_pulp_above):
    """Runs every contender alternately, `reps` times per size; prints medians, peak
    memory, and each Fluidity build's ratio to every contender."""
    import os
    import statistics
    import subprocess

    first = builds[0][1]
    print(f"{'size':<8}{'contender':<44}{'median s':>10}{'peak MB':>9}  objective")
    for size in sizes:
        n, r, t = SIZES[size]
        scenario = os.path.join(workdir, f"{size}.json")
        subprocess.run([first, "generate", "--initiatives", str(n), "--resources", str(r), "--periods", str(t),
                        "--seed", "1", "--out", scenario], check=True)
        contenders = []  # (key, label, command, parse)
        for label, binary in builds:
            contenders.append((f"fluidity:{label}", f"fluidity plan, {label} build (process)",
                               [binary, "plan", scenario, "--format", "json"], lambda out: json.loads(out)["objective"]))
        peer = lambda out: json.loads(out.decode().strip().splitlines()[-1])["objective"]
        contenders.append(("highs", "peer: literal LP, highspy", [sys.executable, __file__, "highs", scenario], peer))
        if n <= skip_pulp_above:
            contenders.append(("pulp", "peer: literal LP, PuLP + CBC", [sys.executable, __file__, "pulp", scenario], peer))
        for label, binary in builds:
            mps = os.path.join(workdir, f"{size}-{label}.mps")
            subprocess.run([binary, "export", scenario, "--out", mps], check=True)
            contenders.append((f"raw:{label}", f"raw highspy on the {label} build's MPS",
                               [sys.executable, __file__, "raw", mps], peer))
        runs = {key: [] for key, *_ in contenders}
        peaks, objective = {}, {}
        for _ in range(reps):
            for key, _, cmd, parse in contenders:
                seconds, peak, out = run_measured(cmd)
                runs[key].append(seconds)
                peaks[key] = max(peaks.get(key, 0.0), peak)
                objective[key] = parse(out)
        medians = {key: statistics.median(v) for key, v in runs.items()}
        for key, label, *_ in contenders:
            print(f"{size:<8}{label:<44}{medians[key]:>10.3f}{peaks[key]:>9.0f}  {objective[key]:.6f}")
        for label, _ in builds:
            mine = medians[f"fluidity:{label}"]
            ratios = [f"{key.split(':')[0] if key.startswith('raw') else key} {mine / medians[key]:.2f}"
                      for key, *_ in contenders if not key.startswith("fluidity")
                      and (not key.startswith("raw") or key == f"raw:{label}")]
            print(f"{size:<8}  ratios, {label} build / contender: {', '.join(ratios)}")
            rel = abs(objective[f"fluidity:{label}"] - objective["highs"]) / max(1.0, abs(objective["highs"]))
            print(f"{size:<8}  objective, {label} build vs highspy peer: relative difference {rel:.1e} "
                  f"{'ok' if rel <= 1e-6 else 'DIFFERS'}")
    print("ratio = fluidity's median / the contender's median (below 1: fluidity is faster);")
    print("raw = highspy on the final-stage program that build exports (its own model, one stage)")


if __name__ == "__main__":
    if sys.argv[1] == "bench":
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("mode")
        parser.add_argument("--binary", action="append", required=True,
                            help="LABEL=PATH of a fluidity binary; repeat to compare builds")
        parser.add_argument("--sizes", default="small,medium")
        parser.add_argument("--reps", type=int, default=5)
        parser.add_argument("--workdir", required=True)
        parser.add_argument("--skip-pulp-above", type=int, default=1000)
        a = parser.parse_args()
        builds = [tuple(b.split("=", 1)) if "=" in b else ("default", b) for b in a.binary]
        bench(builds, a.sizes.split(","), a.reps, a.workdir, a.skip_pulp_above)
        sys.exit(0)
    kind, path = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    if kind == "raw":
        objective = solve_raw(path)
    else:
        s = load(path)
        objective = solve_highs(s) if kind == "highs" else solve_pulp(s)
    print(json.dumps({"seconds": time.perf_counter() - started, "objective": objective}))
