"""`fluidity export` against an independent solver: HiGHS (highspy) reads the MPS and
LP files and its optimum equals the plan's objective. This also checks, scenario by
scenario, that Fluidity's plans are optimal according to a solver it does not use."""

import json
import os
import subprocess
import tempfile

import highspy
import pytest

from conftest import ROOT

BIN = os.environ.get("FLUIDITY_BIN", "fluidity")


def fluidity(*args):
    return subprocess.run([BIN, *args], capture_output=True, check=False)


def highs_optimum(path):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value


def plan_objective(path):
    out = fluidity("plan", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["objective"]


def scenarios():
    yield ROOT / "examples" / "portfolio.json"
    yield ROOT / "examples" / "tiered.json"
    tmp = tempfile.mkdtemp(prefix="fluidity-export-")
    for seed, (n, share) in enumerate([(20, 0.0), (80, 0.0), (150, 0.0), (12, 0.5)]):
        path = os.path.join(tmp, f"generated-{seed}.json")
        out = fluidity("generate", "--initiatives", str(n), "--resources", "4", "--periods", "4",
                       "--seed", str(seed + 1), "--integral-share", str(share), "--out", path)
        assert out.returncode == 0, out.stderr
        yield path


@pytest.mark.parametrize("scenario", list(scenarios()), ids=lambda p: os.path.basename(str(p)))
@pytest.mark.parametrize("fmt", ["mps", "lp"])
def test_highs_finds_the_plans_objective_on_the_exported_program(scenario, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"model.{fmt}")
        out = fluidity("export", str(scenario), "--format", fmt, "--out", path)
        assert out.returncode == 0, out.stderr
        expected = plan_objective(scenario)
        assert highs_optimum(path) == pytest.approx(expected, rel=1e-6, abs=1e-6)
