"""Workbooks written by another tool: openpyxl builds the spreadsheet an analyst
would, straight from the README's format (not from Fluidity's own writer), and
`fluidity plan` reads it into the same plan as the JSON scenario; a formula that no
spreadsheet program has computed is refused with its cell, never read as zero."""

import csv
import json
import os
import pathlib
import subprocess
import tempfile

import openpyxl
import pytest

from conftest import ROOT

BIN = os.environ.get("FLUIDITY_BIN", "fluidity")


def fluidity(*args):
    return subprocess.run([BIN, *args], capture_output=True, check=False)


def plan_of(path):
    out = fluidity("plan", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr.decode()
    plan = json.loads(out.stdout)
    plan["solver"]["seconds"] = None
    return plan


def workbook_like_an_analyst(scenario):
    """The README's format, written cell by cell with openpyxl."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    periods = book.create_sheet("periods")
    periods.append(["id", "weight"])
    for p in scenario["periods"]:
        periods.append([p["id"], p.get("weight")])
    ids = [p["id"] for p in scenario["periods"]]
    resources = book.create_sheet("resources")
    resources.append(["id", "name", "unit", "reserveMin", "moveCost", "maxChurn", *ids])
    for r in scenario["resources"]:
        resources.append(
            [r["id"], r.get("name"), r.get("unit"), r.get("reserveMin"), r.get("moveCost"), r.get("maxChurn"), *r["capacity"]]
        )
    rids = [r["id"] for r in scenario["resources"]]
    longest = max(len(i.get("value", [])) for i in scenario["initiatives"])
    curve = [h for k in range(1, longest + 1) for h in (f"upTo{k}", f"perUnit{k}")]
    # Columns in another order than Fluidity writes them, and headers in other cases.
    initiatives = book.create_sheet("initiatives")
    initiatives.append(["ID", "Kind", "Owner", "Current", "Max", "Min", "RampUp", "RampDown", "Tier", "Locked", *rids, *curve])
    for i in scenario["initiatives"]:
        segments = [v for s in i.get("value", []) for v in (s.get("upTo"), s.get("perUnit"))]
        initiatives.append(
            [i["id"], i.get("kind", "STRATEGIC"), i.get("owner"), i.get("current", 0), i.get("max"), i.get("min"),
             i.get("rampUp"), i.get("rampDown"), i.get("tier", 0), i.get("locked", False),
             *[i.get("requirements", {}).get(r) for r in rids], *segments]
        )
    if scenario.get("groups"):
        groups = book.create_sheet("groups")
        groups.append(["id", "resource", "initiatives", "min", "max"])
        for g in scenario["groups"]:
            groups.append([g["id"], g["resource"], "; ".join(g["initiatives"]), g.get("min"), g.get("max")])
    if scenario.get("dependencies"):
        deps = book.create_sheet("dependencies")
        deps.append(["requires", "initiative", "ratio"])
        for d in scenario["dependencies"]:
            deps.append([d["requires"], d["initiative"], d.get("ratio")])
    book.create_sheet("_notes").append(["Sheets starting with _ are for people."])
    policy = book.create_sheet("policy")
    policy.append(["setting", "value"])
    policy.append(["name", scenario.get("name", "")])
    for key in ["tierTolerance", "timeLimitSeconds", "solver", "mipGap"]:
        if key in scenario.get("policy", {}):
            policy.append([key, scenario["policy"][key]])
    return book


def test_a_workbook_written_by_openpyxl_plans_like_its_json():
    source = ROOT / "examples" / "tiered.json"
    scenario = json.loads(source.read_text())
    assert scenario.get("groups") or scenario.get("dependencies"), "the example should have them"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tiered.xlsx")
        workbook_like_an_analyst(scenario).save(path)
        assert plan_of(path) == plan_of(source)


def test_a_formula_without_a_computed_value_is_refused_with_its_cell():
    scenario = json.loads((ROOT / "examples" / "tiered.json").read_text())
    book = workbook_like_an_analyst(scenario)
    book["resources"]["G2"] = "=50+10"  # openpyxl stores the formula, not its value
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "formula.xlsx")
        book.save(path)
        out = fluidity("plan", path)
        assert out.returncode == 1
        assert out.stdout == b""
        stderr = out.stderr.decode()
        assert "resources!G2" in stderr and "formula" in stderr, stderr


def soffice():
    for path in ["/usr/bin/soffice", "/usr/bin/libreoffice"]:
        if os.path.exists(path):
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)")
    pytest.skip("LibreOffice is not installed")


def sheets_as_csv(book, tmp):
    """Every sheet of `book`, as LibreOffice reads it, converted to CSV: {sheet: rows}."""
    profile = pathlib.Path(tmp) / "profile"
    out = subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         # comma, double quote, UTF-8, from line 1, ..., every sheet to its own file (-1)
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", tmp, str(book)],
        capture_output=True, check=False, timeout=180,
    )
    assert out.returncode == 0, out.stderr.decode()
    stem = pathlib.Path(book).stem
    found = {}
    for path in pathlib.Path(tmp).glob(f"{stem}-*.csv"):
        sheet = path.stem[len(stem) + 1:]
        with open(path, newline="", encoding="utf-8") as f:
            found[sheet] = list(csv.reader(f))
    assert found, list(pathlib.Path(tmp).iterdir())
    return found


def test_the_plan_workbook_opens_in_libreoffice_with_the_plans_numbers():
    source = ROOT / "examples" / "portfolio.json"
    with tempfile.TemporaryDirectory() as tmp:
        book = pathlib.Path(tmp) / "plan.xlsx"
        out = fluidity("plan", str(source), "--format", "xlsx", "--out", str(book))
        assert out.returncode == 0, out.stderr.decode()
        assert out.stdout == b""
        plan = plan_of(source)
        sheets = sheets_as_csv(book, tmp)
        assert {"summary", "activities", "resources", "moves", "bottlenecks"} <= set(sheets)
        summary = {row[0]: row[1] for row in sheets["summary"][1:]}
        assert summary["status"] == plan["status"]
        # Cells are numbers with a display format; the CSV shows what a reader sees.
        shown = float(summary["objective (value less move cost)"].replace(",", ""))
        assert shown == pytest.approx(plan["objective"], abs=0.006)
        assert "one more percent of" in summary["bottleneck"]
        header, *rows = sheets["activities"]
        periods = [p["id"] for p in json.loads(source.read_text())["periods"]]
        assert len(rows) == len(plan["initiatives"]) * len(periods)
        column = header.index("activity")
        for k, initiative in enumerate(plan["initiatives"]):
            for t, value in enumerate(initiative["activity"]):
                row = rows[k * len(periods) + t]
                assert row[0] == initiative["id"] and row[3] == periods[t]
                assert float(row[column].replace(",", "")) == pytest.approx(value, abs=0.006)
        header, *rows = sheets["resources"]
        price = header.index("shadow price")
        first = plan["resources"][0]
        assert float(rows[0][price].replace(",", "")) == pytest.approx(first["shadowPrice"][0], abs=0.006)
