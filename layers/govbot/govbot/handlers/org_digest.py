"""Organisation sweep, step 3 (the organisation digest): one digest of what every account's
sweep found this run."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from typing import Any

import ijson
from pydantic import BaseModel, ConfigDict, Field

from govbot import runtime
from govbot.aws import AwsClients
from govbot.cycle.contracts import State
from govbot.cycle.models import SweepReport
from govbot.cycle.policy import Policy
from govbot.delivery.channels import saved_this_month, tell
from govbot.delivery.digest import SortedKeys, Tally, remembered_detectors, streamed_detectors
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


def each_result(
    results: list[Any] | WrittenResults, clients: AwsClients, bucket: str | None
) -> Iterator[Any]:
    """The Map's results one at a time, as handed over or read back from S3 where the
    ResultWriter wrote them ("ResultWriter (Map)", Step Functions Developer Guide): the
    manifest lists the SUCCEEDED, FAILED and PENDING files, each a JSON array of child
    executions; a succeeded one's Output is the worker's result as a JSON string, a failed one
    carries Error and Cause, a pending one never ran. A file holds every account's execution
    (about 1 KB each), so it is parsed an execution at a time (ijson), never whole. Only
    ``bucket``, the stack's own, is read, whatever the event names."""
    if isinstance(results, list):
        yield from results
        return
    where = results.ResultWriterDetails
    if not bucket or where.Bucket != bucket:
        raise ResultsElsewhere(
            f"the Map's results are in bucket {where.Bucket!r}; the digest reads only "
            f"{bucket or 'none'} (MAP_RESULTS_BUCKET)"
        )
    s3 = clients.client("s3", clients.default_region or "us-east-1")

    def body(key: str) -> Any:
        return s3.get_object(Bucket=bucket, Key=key)["Body"]

    manifest = json.load(body(where.Key))  # a few file names
    for status, files in (manifest.get("ResultFiles") or {}).items():
        for file in files:
            for execution in ijson.items(body(file["Key"]), "item", use_float=True):
                if status == "SUCCEEDED":
                    yield json.loads(execution.get("Output") or "{}")
                else:
                    yield {
                        "Error": execution.get("Error") or f"States.{status.title()}",
                        "Cause": execution.get("Cause") or "",
                    }


# How sweep_worker.sweep_account fails an item: "ACCOUNT REGION: CODE: message".
FAILED_UNIT = re.compile(r"\b(\d{12}) [a-z0-9-]+: ([A-Za-z0-9.]+)")
NAMED = 20  # failed accounts named in the function's answer; the rest counted


class Settled:
    """What the Map's results say, read once in a memory that barely grows with them: the
    accounts swept (12-digit ids as sorted 8-byte integers: 24 KB at 3,000 accounts), and the
    failed ones counted by error, the first ``NAMED`` by name."""

    def __init__(self, results: Iterable[Any] = ()) -> None:
        self.accounts = SortedKeys()
        self.odd: set[str] = set()  # an id that is not 12 digits (never from the plan)
        self.swept = self.failed = 0
        self.by_error: Counter[str] = Counter()
        self.named: list[str] = []
        for r in results:
            self.add(r)

    def add(self, r: Any) -> None:
        if isinstance(r, dict) and "account_id" in r:
            self.swept += 1
            account = str(r["account_id"])
            if account.isdigit() and len(account) == 12:
                self.accounts.add(int(account))
            else:
                self.odd.add(account)
            return
        # A failed item's Cause is the worker's error (as Lambda reports it to Step
        # Functions, a JSON string with its errorMessage, or plain text).
        self.failed += 1
        cause = str(r.get("Cause", "")) if isinstance(r, dict) else ""
        with contextlib.suppress(ValueError, AttributeError):  # plain text, not Lambda's JSON
            cause = str(json.loads(cause).get("errorMessage", cause))
        found = FAILED_UNIT.search(cause)
        error = r.get("Error", "error") if isinstance(r, dict) else "error"
        account, code = found.groups() if found else ("unknown", str(error))
        self.by_error[code] += 1
        if len(self.named) < NAMED:
            self.named.append(f"{account} ({code})")

    def has(self, account_id: str) -> bool:
        if account_id in self.odd:
            return True
        return account_id.isdigit() and len(account_id) == 12 and int(account_id) in self.accounts

    @property
    def account_count(self) -> int:
        return len(self.accounts) + len(self.odd)

    def failures(self) -> dict[str, Any]:
        """The failed items summed up small whatever their number."""
        return {
            "count": self.failed,
            "by_error": dict(self.by_error.most_common()),
            "accounts": list(self.named),
        }


KEEP = 100  # findings an organisation's digest names one by one, the costliest; the rest counted
STANDING = (State.OPEN, State.PENDING_APPROVAL, State.APPROVED)


def organisation_report(
    store: Store, policy: Policy, regions: list[str], results: Iterable[Any]
) -> tuple[SweepReport, Tally, Settled]:
    """What every account's sweep found this run, read back from the store a page at a time
    and tallied as it is read: the figures of every finding, the ``KEEP`` costliest findings
    held whole, never the organisation's findings at once. A finding still standing in an
    account this run swept, in the run's regions, is current: the sweep resolves what it no
    longer finds (and findings are written only when they change)."""
    settled = Settled(results)
    in_run = set(regions)
    # Two passes: the findings remembered to count a resource once (the over-provisioned
    # endpoints, not the idle ones), then every other finding, in whatever order the
    # index's partitions give them (a query each, not one per detector, state and shard).
    first = remembered_detectors()
    tally = Tally(policy, keep=KEEP, streamed=streamed_detectors())
    read = chain(
        store.each_in_state(*STANDING, detectors=first, brief=True),
        (
            sf
            for sf in store.each_in_state(*STANDING, brief=True)
            if sf.finding.detector not in first
        ),
    )
    for sf in read:
        if sf.finding.region in in_run and settled.has(sf.finding.account_id):
            tally.add(sf.finding, sf.state)
    report = SweepReport.build(
        findings=[],
        regions=sorted(in_run) if settled.swept else [],
        units_swept=settled.swept,
        units_failed=settled.failed,
        account_id=f"{settled.account_count} accounts",
    )
    return report, tally, settled


def organisation_digest(
    settings: Settings, regions: list[str], handed: list[Any] | WrittenResults
) -> dict[str, Any]:
    """One digest of what every account's sweep found this run."""
    bucket = os.environ.get("MAP_RESULTS_BUCKET")
    results = each_result(handed, runtime.clients(), bucket)
    policy = runtime.load_policy(settings)
    report, tally, settled = organisation_report(runtime.store(settings), policy, regions, results)
    accounts = report.summary.account_id
    failed = settled.failures()
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
