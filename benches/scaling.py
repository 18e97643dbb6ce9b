"""Solve time against problem size: `fluidity plan` on generated scenarios of growing
size, one table row each, and a log-log SVG plot (no plotting library needed).

    python3 benches/scaling.py BINARY OUT.svg
"""

import json
import math
import subprocess
import sys
import tempfile
import time

SIZES = [(50, 3, 3), (150, 4, 4), (300, 4, 6), (500, 6, 6), (1000, 6, 6), (2000, 8, 13)]


def measure(binary, n, r, t, workdir):
    path = f"{workdir}/s{n}.json"
    subprocess.run([binary, "generate", "--initiatives", str(n), "--resources", str(r), "--periods", str(t),
                    "--seed", "1", "--out", path], check=True)
    started = time.perf_counter()
    out = subprocess.run([binary, "plan", path, "--format", "json"], capture_output=True, check=True)
    wall = time.perf_counter() - started
    plan = json.loads(out.stdout)
    return plan["solver"]["variables"], plan["solver"]["name"], plan["solver"]["seconds"], wall


def plot(points, path):
    w, h, left, bottom, top, right = 640, 400, 70, 350, 30, 620
    xs = [math.log10(p[0]) for p in points]
    ys = [math.log10(p[1]) for p in points]
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
    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#2f6fdb" stroke-width="2"/>')
    for x, y in zip(xs, ys):
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="#2f6fdb"/>')
    parts.append(f'<text x="{(left + right) / 2}" y="{h - 8}" text-anchor="middle">LP columns</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    binary, out = sys.argv[1], sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="fluidity-scaling-")
    rows = []
    print(f"{'scenario':<12}{'columns':>10}  {'solver':<18}{'solve s':>9}{'process s':>11}")
    for n, r, t in SIZES:
        columns, solver, seconds, wall = measure(binary, n, r, t, workdir)
        rows.append((columns, seconds))
        print(f"{n}x{r}x{t:<6}{columns:>10}  {solver:<18}{seconds:>9.3f}{wall:>11.3f}")
    plot(rows, out)
    print(f"plot: {out}")
