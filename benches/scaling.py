"""Solve time against problem size: `fluidity plan` on generated scenarios of growing
size, one table row each, and a log-log SVG plot (no plotting library needed), one
line per build.

    python3 benches/scaling.py OUT.svg [LABEL=]BINARY...
"""

import json
import math
import subprocess
import sys
import tempfile
import time

SIZES = [(50, 3, 3), (150, 4, 4), (300, 4, 6), (500, 6, 6), (1000, 6, 6), (2000, 8, 13), (5000, 10, 13)]
COLOURS = ["#2f6fdb", "#d9822b", "#2e9e5b", "#a33ea1"]


def measure(binary, n, r, t, workdir):
    path = f"{workdir}/s{n}.json"
    subprocess.run([binary, "generate", "--initiatives", str(n), "--resources", str(r), "--periods", str(t),
                    "--seed", "1", "--out", path], check=True)
    started = time.perf_counter()
    out = subprocess.run([binary, "plan", path, "--format", "json"], capture_output=True, check=True)
    wall = time.perf_counter() - started
    plan = json.loads(out.stdout)
    return plan["solver"]["variables"], plan["solver"]["name"], plan["solver"]["seconds"], wall


def plot(series, path):
    """`series`: [(label, [(columns, seconds)])]."""
    w, h, left, bottom, top, right = 640, 400, 70, 350, 30, 620
    every = [p for _, points in series for p in points]
    xs = [math.log10(p[0]) for p in every]
    ys = [math.log10(p[1]) for p in every]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    sx = lambda x: left + (x - x0) / (x1 - x0) * (right - left)
    sy = lambda y: bottom - (y - y0) / (y1 - y0) * (bottom - top)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
             'font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="18" font-size="13" font-weight="600">fluidity plan: solve time by LP size (log-log)</text>',
             f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>']
    for e in range(x0, x1 + 1):
        parts.append(f'<text x="{sx(e):.1f}" y="{bottom + 16}" text-anchor="middle">1e{e}</text>')
    for e in range(y0, y1 + 1):
        parts.append(f'<text x="{left - 6}" y="{sy(e) + 4:.1f}" text-anchor="end">1e{e} s</text>')
    for k, (label, points) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        pxs = [math.log10(p[0]) for p in points]
        pys = [math.log10(p[1]) for p in points]
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(pxs, pys))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in zip(pxs, pys):
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}"/>')
        parts.append(f'<rect x="{left + 12}" y="{top + 8 + 16 * k}" width="12" height="3" fill="{colour}"/>')
        parts.append(f'<text x="{left + 30}" y="{top + 13 + 16 * k}">{label} build</text>')
    parts.append(f'<text x="{(left + right) / 2}" y="{h - 8}" text-anchor="middle">LP columns</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    out = sys.argv[1]
    builds = [tuple(a.split("=", 1)) if "=" in a else ("default", a) for a in sys.argv[2:]]
    workdir = tempfile.mkdtemp(prefix="fluidity-scaling-")
    series = []
    print(f"{'build':<9}{'scenario':<12}{'columns':>10}  {'solver':<18}{'solve s':>9}{'process s':>11}")
    for label, binary in builds:
        rows = []
        for n, r, t in SIZES:
            columns, solver, seconds, wall = measure(binary, n, r, t, workdir)
            rows.append((columns, seconds))
            print(f"{label:<9}{f'{n}x{r}x{t}':<12}{columns:>10}  {solver:<18}{seconds:>9.3f}{wall:>11.3f}", flush=True)
        series.append((label, rows))
    plot(series, out)
    print(f"plot: {out}")
