"""`govbot demo` from a fresh process: the emulated account, the estate, the Lambda's sweep.

One run serves both tests: the short walk on stdout, the whole one (what --verbose shows)
written beside it with --transcript."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from govbot_emulator import estate
from tests.integration.conftest import run_govbot


@dataclass
class Walk:
    returncode: int
    stdout: str  # the short walk, at 80 columns
    stderr: str
    whole: str  # the transcript


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> Walk:
    transcript: Path = tmp_path_factory.mktemp("demo") / "walk.txt"
    result = run_govbot("demo", "--transcript", str(transcript), env={"COLUMNS": "80"})
    whole = transcript.read_text() if transcript.exists() else ""
    return Walk(result.returncode, result.stdout, result.stderr, whole)


def test_demo_by_default_fits_120_lines_at_80_columns_and_ends_with_the_summary(walk) -> None:
    result = walk
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 120
    assert max(len(line) for line in lines) <= 100  # CLI lines indented by two may run on
    summary = " ".join(" ".join(lines[-3:]).split())
    assert summary.startswith("In short: found 28 findings worth $107,386.62/month; fixed 18,")
    assert "restored 1 (churn-model-staging)" in summary
    # The saving is net: the restored endpoint no longer counts, each volume's snapshot does.
    assert "saving $106,571.32/month net" in summary
    # The cold volume whose snapshot would cost more than it stops is held for a person.
    assert "held for a person: orphaned-volume" in result.stdout


def test_the_whole_walk_shows_every_step(walk) -> None:
    assert walk.returncode == 0, walk.stderr
    out = walk.whole
    assert "moto server at http://127.0.0.1:" in out
    assert "Invoking functions/sweep/app.handler" in out
    for key in estate.EXPECTED:
        name = key[2]
        if not name.startswith(("vol:", "i:", "cr:", "fs:", "aoss:")):
            assert name in out, name
    assert "Estimated monthly waste: $" in out
    assert "28 findings in us-east-1, eu-west-1; 3 exempted" in out
    # The function's CloudWatch metrics, per detector.
    assert "Findings{detector=runaway-training-job} = 2" in out
    assert "EstimatedMonthlyWasteUSD{detector=idle-endpoint} =" in out
    # The remediation round trip: decisions through the CLI, fixes applied, one restore.
    assert "$ govbot approve" in out
    assert "$ govbot reject" in out
    # The second approval changed nothing, and says who decided first.
    assert "is approved (decided by ana@ml-platform)" in out
    # The Slack round trip: the digest, a refused click, ana's click, the worker's outcome.
    slack = " ".join(out.split("4. The digest in Slack")[1].split("6. More decisions")[0].split())
    assert "[Approve] [Reject] [Snooze 7 days]" in slack
    assert "You are not allowed to decide govbot findings" in slack
    assert "Approved by <@W111>: delete endpoint" in slack
    assert "Nothing changed: this finding is already approved by <@W111>" in slack
    assert "sent again: HTTP 200 'already handled'" in slack
    assert "remediated: deleted endpoint churn-model-staging; restore with" in slack
    fixes = " ".join(out.split("7. The fixes, applied")[1].split("8. Nothing lost")[0].split())
    assert fixes.count("remediated") == 15
    assert "cancelled capacity reservation cr-" in fixes
    assert "deleted Lustre file system fs-" in fixes
    assert "deleted Studio app d-ml-studio/space/ana-gpu/JupyterLab/default" in fixes
    assert "deleted provisioned throughput support-assistant-pt" in fixes
    assert "stopped notebook instance cv-labelling-gpu" in fixes
    assert "stopped instance i-" in fixes
    assert "would add $5.50/month more than it stops" in fixes
    # The budget breach: an alert to Slack, the runaway jobs stopped, a retry changing nothing.
    breach = " ".join(out.split("9. A budget breach")[1].split())
    assert "Budget killswitch: actual $1.70 against $5.00 (> $0.75)" in breach
    assert "What govbot did" in breach
    assert "The worker took 2 queued fix(es)" in breach
    assert "{'duplicate':" in breach
    jobs = breach.split("training jobs in progress")[1]
    assert "bert-finetune-large" not in jobs
    assert "llama-pretrain" in jobs
    assert fixes.count("set retention of") == 2
    assert "restored endpoint churn-model-staging from config churn-model-staging-config" in out
    # Nothing exempt or within its thresholds is reported.
    table = out.split("by detector")[0].split("3. The nightly sweep")[1]
    assert not any(
        "idle-endpoint" in line and "fraud-detector-prod" in line for line in table.splitlines()
    )
    for quiet in (
        "recsys-serverless",
        "sentiment-api-new",
        "vision-benchmark",
        "llama-pretrain",
        "xgb-nightly",
        "/ml/experiments/audit-trail",
    ):
        assert quiet not in table, quiet
