"""Organisation sweep, step 3 (the organisation digest): one digest of what every account's
sweep found this run."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govbot import runtime
from govbot.aws import AwsClients
from govbot.cycle.contracts import State
from govbot.cycle.models import SweepReport
from govbot.cycle.policy import Policy
from govbot.delivery.channels import saved_this_month, tell
from govbot.delivery.digest import Tally, streamed_detectors
from govbot.detectors import DETECTORS
from govbot.runtime import Settings
from govbot.state.store import Store


class ResultLocation(BaseModel):
    Bucket: str
    Key: str  # the Map run's manifest.json


class WrittenResults(BaseModel):
    """A Distributed Map's output when a ResultWriter wrote its results to S3."""

    model_config = ConfigDict(extra="allow")

    MapRunArn: str | None = None
    ResultWriterDetails: ResultLocation


class DigestEvent(BaseModel):
    started: datetime
    regions: list[str] = Field(default_factory=list)  # the run's regions, as planned
    # The Map's results (summaries, or errors for failed items), or where it wrote them.
    results: list[Any] | WrittenResults


class ResultsElsewhere(ValueError):
    """Results named in a bucket other than the one the digest reads from."""


def read_results(
    results: list[Any] | WrittenResults, clients: AwsClients, bucket: str | None
) -> list[Any]:
    """The Map's results as the digest counts them: as handed over, or read back from S3 a
    file at a time where the ResultWriter wrote them ("ResultWriter (Map)", Step Functions
    Developer Guide): the manifest lists the SUCCEEDED, FAILED and PENDING files, each a JSON
    array of child executions; a succeeded one's Output is the worker's result as a JSON
    string, a failed one carries Error and Cause, a pending one never ran. Only ``bucket``,
    the stack's own, is read, whatever the event names."""
    if isinstance(results, list):
        return results
    where = results.ResultWriterDetails
    if not bucket or where.Bucket != bucket:
        raise ResultsElsewhere(
            f"the Map's results are in bucket {where.Bucket!r}; the digest reads only "
            f"{bucket or 'none'} (MAP_RESULTS_BUCKET)"
        )
    s3 = clients.client("s3", clients.default_region or "us-east-1")

    def read(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    manifest = read(where.Key)
    found: list[Any] = []
    for status, files in (manifest.get("ResultFiles") or {}).items():
        for file in files:
            for execution in read(file["Key"]):
                if status == "SUCCEEDED":
                    found.append(json.loads(execution.get("Output") or "{}"))
                else:
                    found.append(
                        {
                            "Error": execution.get("Error") or f"States.{status.title()}",
                            "Cause": execution.get("Cause") or "",
                        }
                    )
    return found


KEEP = 100  # findings an organisation's digest names one by one, the costliest; the rest counted
STANDING = (State.OPEN, State.PENDING_APPROVAL, State.APPROVED)


def organisation_report(
    store: Store, policy: Policy, regions: list[str], results: list[Any]
) -> tuple[SweepReport, Tally]:
    """What every account's sweep found this run, read back from the store a page at a time
    and tallied as it is read: the figures of every finding, the ``KEEP`` costliest findings
    held whole, never the organisation's findings at once. A finding still standing in a
    unit this run swept is current: the sweep resolves what it no longer finds (and findings
    are written only when they change)."""
    swept = [r for r in results if isinstance(r, dict) and "account_id" in r]
    # Each swept account in the run's regions (a result from an older worker names its own).
    units = {(r["account_id"], region) for r in swept for region in r.get("regions", regions)}
    # Detector by detector, the streamed ones last: only the others' findings of a kind two
    # detectors judge are remembered (the over-provisioned endpoints, not the idle ones).
    streamed = streamed_detectors()
    order = [d for d in DETECTORS if d not in streamed] + [d for d in DETECTORS if d in streamed]
    tally = Tally(policy, keep=KEEP, streamed=streamed)
    for sf in store.each_in_state(*STANDING, detectors=order):
        if (sf.finding.account_id, sf.finding.region) in units:
            tally.add(sf.finding, sf.state)
    report = SweepReport.build(
        findings=[],
        regions=sorted({region for _, region in units}),
        units_swept=len(swept),
        units_failed=len(results) - len(swept),
        account_id=f"{len({r['account_id'] for r in swept})} accounts",
    )
    return report, tally


# How sweep_worker.sweep_account fails an item: "ACCOUNT REGION: CODE: message".
FAILED_UNIT = re.compile(r"\b(\d{12}) [a-z0-9-]+: ([A-Za-z0-9.]+)")
NAMED = 20  # failed accounts named in the function's answer; the rest counted


def failures(results: list[Any]) -> dict[str, Any]:
    """The Map's failed items, summed up small whatever their number: how many, by error, and
    the first accounts by name. An item's Cause is the worker's error (as Lambda reports it to
    Step Functions, a JSON string with its errorMessage, or plain text)."""
    failed = []
    for r in results:
        if not isinstance(r, dict) or "account_id" in r:
            continue
        cause = str(r.get("Cause", ""))
        with contextlib.suppress(ValueError, AttributeError):  # plain text, not Lambda's JSON
            cause = str(json.loads(cause).get("errorMessage", cause))
        found = FAILED_UNIT.search(cause)
        account, code = found.groups() if found else ("unknown", str(r.get("Error", "error")))
        failed.append((account, code))
    return {
        "count": len(failed),
        "by_error": dict(Counter(code for _, code in failed).most_common()),
        "accounts": [f"{a} ({c})" for a, c in failed[:NAMED]],
    }


def organisation_digest(
    settings: Settings, regions: list[str], handed: list[Any] | WrittenResults
) -> dict[str, Any]:
    """One digest of what every account's sweep found this run."""
    bucket = os.environ.get("MAP_RESULTS_BUCKET")
    results = read_results(handed, runtime.clients(), bucket)
    policy = runtime.load_policy(settings)
    report, tally = organisation_report(runtime.store(settings), policy, regions, results)
    accounts = report.summary.account_id
    failed = failures(results)
    waste = tally.total("waste")
    headline = f"govbot: ${waste:,.2f}/month of waste across {accounts}"
    if failed["count"]:
        # Counts by error only: Slack's header keeps 150 characters (the accounts are in the
        # function's answer and its log).
        by_error = ", ".join(f"{code} {n}" for code, n in failed["by_error"].items())
        headline += f"; {failed['count']} account(s) not swept ({by_error})"
    digest = tally.digest(report, headline, saved_this_month(settings))
    errors = tell(settings, policy, digest)
    return {
        "findings": digest.findings,
        "total_monthly_cost_usd": digest.total_monthly_cost_usd,
        "targets_swept": report.summary.units_swept,
        "targets_failed": report.summary.units_failed,
        "failures": failed,
        "notify_errors": [e.model_dump() for e in errors],
    }
