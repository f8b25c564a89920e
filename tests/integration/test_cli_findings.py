"""Reading findings as a user does, in its own process: short ids, `show`, filters, files, CSV,
and tables that stay readable at 80 columns. The tests that only read share one swept estate
(`read_only`, which fails a test that changes it)."""

import csv
import io
import json

import pytest

from tests.integration.conftest import REGIONS, run_govbot


@pytest.fixture
def stored(server_estate) -> dict[tuple[str, str], str]:
    """The estate swept into a state table of its own (the test changes it): finding id by
    (detector, resource)."""
    assert run_govbot("init").returncode == 0
    result = run_govbot("sweep", "--regions", REGIONS, "-f", "json")
    assert result.returncode == 0, result.stderr
    return {
        (f["detector"], f["resource_id"]): f["finding_id"]
        for f in json.loads(result.stdout)["findings"]
    }


def test_tables_fit_80_columns_and_show_ids_approve_accepts(stored, tmp_path) -> None:
    narrow = {"COLUMNS": "80"}
    listing = run_govbot("findings", env=narrow)
    swept = run_govbot("sweep", "--regions", REGIONS, env=narrow)
    for result in (listing, swept):
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80
        # Costs are never cut short, and reasons are words, not a column of single letters.
        assert "$21,444.48" in result.stdout
        assert "missing required tag(s)" in result.stdout
        first_table = lines[: next(i for i, line in enumerate(lines) if line.startswith("└"))]
        rows = [line for line in first_table if line.startswith("│")]
        assert rows
        assert min(len(row.split("│")[-2]) for row in rows) >= 30
    job = stored[("runaway-training-job", "bert-finetune-large")]
    short = job.rsplit("-", 1)[1][:8]
    assert short in listing.stdout
    assert short in swept.stdout
    ok = run_govbot("approve", short, "--by", "ana")
    assert ok.returncode == 0, ok.stderr
    assert f"{job}: approved" in ok.stdout

    # A sweep's other forms: JSON to a file without a word on the terminal, and CSV.
    report = tmp_path / "sweep.json"
    quiet = run_govbot("--quiet", "sweep", "--regions", REGIONS, "-f", "json", "-o", str(report))
    assert quiet.returncode == 0
    assert quiet.stdout == ""
    assert quiet.stderr == ""
    assert len(json.loads(report.read_text())["findings"]) == len(stored)
    swept_csv = run_govbot("sweep", "--regions", REGIONS, "-f", "csv")
    assert len(list(csv.DictReader(io.StringIO(swept_csv.stdout)))) == len(stored)


def test_a_prefix_must_name_one_finding(read_only) -> None:
    stored = read_only.stored
    ambiguous = run_govbot("reject", "idle-endpoint-")
    assert ambiguous.returncode == 2
    assert "ambiguous" in ambiguous.stderr
    assert stored[("idle-endpoint", "churn-model-staging")] in ambiguous.stderr
    unknown = run_govbot("reject", "ffffffffffff")
    assert unknown.returncode == 2
    assert "no finding ffffffffffff" in unknown.stderr
    # Nothing was decided by either refusal.
    pending = json.loads(run_govbot("findings", "-s", "rejected", "-f", "json").stdout)
    assert pending["count"] == 0


def test_findings_show_tells_everything_about_one(read_only) -> None:
    stored = read_only.stored
    volume = next(fid for (det, _), fid in stored.items() if det == "orphaned-volume")
    shown = run_govbot("findings", "show", volume[-16:-6], env={"COLUMNS": "100"})
    assert shown.returncode == 0, shown.stderr
    for fact in (volume, "pending_approval", "AWS::EC2::Volume", "cost basis", "GB-month"):
        assert fact in shown.stdout
    assert "no audit records" in shown.stdout
    as_json = json.loads(run_govbot("findings", "show", volume, "-f", "json").stdout)
    assert as_json["finding"]["finding"]["finding_id"] == volume
    assert as_json["audit"] == []


def test_findings_filters_combine(read_only) -> None:
    stored = read_only.stored

    def ids(*args: str) -> set[str]:
        result = run_govbot("findings", "-f", "json", *args)
        assert result.returncode == 0, result.stderr
        return {sf["finding"]["finding_id"] for sf in json.loads(result.stdout)["findings"]}

    in_eu = {(d, r) for d, region, r in read_only.expected if region == "eu-west-1"}
    assert ids("--region", "eu-west-1") == {stored[k] for k in in_eu}
    eu_logs = {stored[k] for k in in_eu if k[0] == "log-retention-gap"}
    assert eu_logs
    assert ids("-r", "eu-west-1", "-d", "log-retention-gap") == eu_logs
    both = ids("-d", "log-retention-gap", "-d", "orphaned-volume")
    assert both == {fid for (d, _), fid in stored.items() if d in both_kinds}
    assert ids("--account", "000000000000") == set()
    assert ids("--account", read_only.account_id) == set(stored.values())
    assert ids("--detector", "idle-endpoint", "--state", "open") == set()  # approve mode
    bad = run_govbot("findings", "--detector", "idle-endpoints")
    assert bad.returncode == 2
    assert "unknown idle-endpoints" in bad.stderr


both_kinds = {"log-retention-gap", "orphaned-volume"}


def test_csv_and_output_files(read_only, tmp_path) -> None:
    stored = read_only.stored
    target = tmp_path / "findings.csv"
    written = run_govbot("findings", "-f", "csv", "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert f"wrote {target}" in written.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {r["finding_id"] for r in rows} == set(stored.values())
    job = next(
        r for r in rows if r["resource_id"] == "bert-finetune-large" and "runaway" in r["detector"]
    )
    assert float(job["monthly_cost_usd"]) == pytest.approx(21444.48)
    assert job["state"] == "pending_approval"

    nowhere = run_govbot("findings", "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert nowhere.returncode == 2
    assert "No such file or directory" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


def test_verbose_and_quiet_contradict() -> None:
    both = run_govbot("--quiet", "--verbose", "detectors")
    assert both.returncode == 2
    assert "contradict" in both.stderr
