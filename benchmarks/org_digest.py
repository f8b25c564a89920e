"""The organisation digest's memory and time as the organisation grows: 300, 1,000 and 3,000
accounts of findings, 20 regions each.

One account of the sweep benchmark's 500-resource estate is swept into a state table (moto,
in-process); its open findings are then copied to each account of the organisation as the
digest reads them. The digest reads as on AWS: the Map's results from the file the
ResultWriter leaves (a JSON array of every account's child execution, its Input naming the
run's 20 regions), and the state table's by-state index through govbot's Store, in pages of
DynamoDB's 1 MB of items, each page's items in DynamoDB's wire form as botocore hands them
over. The pages and the file are made as they are asked for, so neither the emulator nor the
copies are measured. Its Python heap peak (tracemalloc) and time are what is measured.
Writes benchmarks/org_digest.md.

    python benchmarks/org_digest.py [--accounts 300 1000 3000]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import platform
import sys
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.parsers
import botocore.session
from moto import mock_aws
from sweep_calls import (  # sets the emulator's credentials first
    ORGANISATION_REGIONS,
    item_bytes,
    seed,
)

from govbot.aws import AwsClients
from govbot.cycle.contracts import State, StoredFinding
from govbot.cycle.engine import govern
from govbot.cycle.policy import Policy
from govbot.handlers.org_digest import KEEP, WrittenResults, each_result, organisation_report
from govbot.state.store import Store, _finding_item, state_key
from govbot_emulator import moto_extensions

HERE = Path(__file__).resolve().parent
REGIONS = ORGANISATION_REGIONS  # the 17 every account has, and three opt-in ones
REGION = "us-east-1"
OPEN = (State.OPEN, State.PENDING_APPROVAL, State.APPROVED)
PAGE_BYTES = 1024 * 1024  # DynamoDB's Query reads at most 1 MB of items a call
BUCKET = "govbot-org-results"
# A unit's result beside its account id, as sweep_account returns it.
UNIT_RESULT = {"findings": 305, "total_monthly_cost_usd": 123456.78, "errors": 0, "actions": 0}


class CopiedTable:
    """The by-state index as DynamoDB pages it, every account holding the measured account's
    findings: a Query (through botocore's paginator interface, as Store reads it) yields
    pages of up to 1 MB of items, made when asked for as DynamoDB's JSON answer and parsed
    by botocore's own parser against Query's output shape, as a client does. Making a page
    is the emulator's work and its time is kept apart (``making``); parsing it is the
    digest's."""

    def __init__(self, findings: list[StoredFinding], accounts: list[str]) -> None:
        self.accounts = accounts
        self.source = findings[0].finding.account_id
        self.making = 0.0
        model = botocore.session.get_session().get_service_model("dynamodb")
        self.shape = model.operation_model("Query").output_shape
        self.parser = botocore.parsers.create_parser("json")
        # Each finding's item as JSON, its finding as text (deflated per copy, as stored),
        # with what names its account and id to swap per copy.
        self.templates = []
        for sf in findings:
            item = _finding_item(sf)
            item["finding"] = {"S": sf.finding.model_dump_json()}
            self.templates.append(
                (
                    sf.state.value,
                    sf.finding.detector,
                    sf.finding.resource_arn,
                    sf.finding_id,
                    json.dumps(item),
                )
            )

    def get_paginator(self, name: str) -> CopiedTable:
        assert name == "query"
        return self

    def paginate(self, **query: Any) -> Iterator[dict[str, Any]]:
        values = query["ExpressionAttributeValues"]
        _, state, shard = values[":v"]["S"].split("#")  # STATE#<state>#<shard>
        detector = values[":p"]["S"].rstrip("#") if ":p" in values else None
        names = query.get("ExpressionAttributeNames", {})
        wanted = query.get("ProjectionExpression")
        only = {names.get(n.strip(), n.strip()) for n in wanted.split(",")} if wanted else None
        for body in self._bodies(state, shard, detector, only):
            yield self.parser.parse({"body": body, "headers": {}, "status_code": 200}, self.shape)

    def _bodies(
        self, state: str, shard: str, detector: str | None, only: set[str] | None
    ) -> Iterator[bytes]:
        started = time.perf_counter()
        page: list[dict[str, Any]] = []
        size = 0
        for account in self.accounts:
            for st, det, arn, old_id, item in self.templates:
                if st != state or detector not in (None, det):
                    continue
                moved = arn.replace(self.source, account)
                new_id = f"{det}-{hashlib.sha256(f'{det}|{moved}'.encode()).hexdigest()[:16]}"
                if state_key(State(st), new_id) != f"STATE#{state}#{shard}":
                    continue  # in another shard of the index
                copy = json.loads(item.replace(self.source, account).replace(old_id, new_id))
                packed = zlib.compress(copy["finding"]["S"].encode())
                copy["finding"] = {"B": base64.b64encode(packed).decode()}
                size += item_bytes(copy)  # the 1 MB is of items read, before a projection
                page.append({k: v for k, v in copy.items() if only is None or k in only})
                if size >= PAGE_BYTES:
                    body = json.dumps({"Count": len(page), "Items": page}).encode()
                    page, size = [], 0  # the answer's body is all that is left of it
                    self.making += time.perf_counter() - started
                    yield body
                    started = time.perf_counter()
        if page:
            body = json.dumps({"Count": len(page), "Items": page}).encode()
            page = []
            self.making += time.perf_counter() - started
            yield body


class CopiedStore(Store):
    """govbot's Store over the copied table."""

    def __init__(self, table: CopiedTable) -> None:
        super().__init__(AwsClients(), REGION)
        self.copied = table

    @property
    def _db(self) -> Any:
        return self.copied


class ResultBucket:
    """The Map's result file and manifest, as S3 hands them to GetObject: a stream."""

    def __init__(self, accounts: list[str]) -> None:
        arn = "arn:aws:states:us-east-1:111111111111:mapRun:govbot-org-sweep/run:run"
        executions = [
            {
                "ExecutionArn": f"{arn}/{i}",
                "Input": json.dumps({"account_id": a, "regions": REGIONS, "run_id": "run"}),
                "InputDetails": {"Included": True},
                "Name": f"{i:08x}-0000-0000-0000-000000000000",
                "Output": json.dumps({"account_id": a, **UNIT_RESULT}),
                "OutputDetails": {"Included": True},
                "RedriveCount": 0,
                "RedriveStatus": "NOT_REDRIVABLE",
                "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
                "StartDate": "2026-12-06T02:00:01.000Z",
                "StateMachineArn": arn,
                "Status": "SUCCEEDED",
                "StopDate": "2026-12-06T02:00:09.000Z",
            }
            for i, a in enumerate(accounts)
        ]
        self.objects = {
            "run/SUCCEEDED_0.json": json.dumps(executions).encode(),
            "run/manifest.json": json.dumps(
                {"ResultFiles": {"SUCCEEDED": [{"Key": "run/SUCCEEDED_0.json"}], "FAILED": []}}
            ).encode(),
        }
        self.default_region = REGION

    def client(self, service: str, region: str) -> ResultBucket:
        return self

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[Key])}

    @property
    def file_bytes(self) -> int:
        return len(self.objects["run/SUCCEEDED_0.json"])


def measured_findings() -> list[StoredFinding]:
    moto_extensions.install()
    with mock_aws():
        clients = AwsClients()
        now = datetime.now(UTC)
        seed(clients, now, 1)
        store = Store(clients, REGION)
        store.create()
        govern(Policy(regions=[REGION]), clients, store, now=now, dry_run=True, actor="bench")
        return store.by_state(*OPEN)


def measure(findings: list[StoredFinding], sizes: list[int]) -> list[dict[str, Any]]:
    policy = Policy(regions=REGIONS)
    rows = []
    for size in sizes:
        accounts = [f"3{i:011d}" for i in range(size)]
        table = CopiedTable(findings, accounts)
        store = CopiedStore(table)
        bucket = ResultBucket(accounts)
        handed = WrittenResults.model_validate(
            {"ResultWriterDetails": {"Bucket": BUCKET, "Key": "run/manifest.json"}}
        )
        tracemalloc.start()
        started = time.perf_counter()
        results = each_result(handed, bucket, BUCKET)  # type: ignore[arg-type]
        report, tally, _ = organisation_report(store, policy, REGIONS, results)
        seconds = time.perf_counter() - started - table.making
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert tally.count == len(findings) * size, "the copies were not all read"
        rows.append(
            {
                "accounts": size,
                "findings": tally.count,
                "swept": report.summary.units_swept,
                "seconds": seconds,
                "heap_mib": peak,
                "results_mib": bucket.file_bytes / 2**20,
                "waste": tally.total("waste"),
                "remembered": sum(len(t) for t in tally.twice.values()),
            }
        )
        print(f"  {size} accounts: {tally.count} findings, {seconds:.1f} s, {peak:.1f} MiB",
              file=sys.stderr)  # fmt: skip
    return rows


def render(findings: int, rows: list[dict[str, Any]]) -> str:
    lines = [
        "# The organisation digest as the organisation grows",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores. Produced by "
        "`python benchmarks/org_digest.py` (`make bench-org` runs it too).",
        "",
        f"One account of the sweep benchmark's 500-resource estate holds {findings} open "
        "findings; each account of the organisation holds a copy, and each was swept in "
        f"{len(REGIONS)} regions. The digest reads as on AWS: the Map's results from the file "
        "the ResultWriter leaves (every account's child execution in one JSON array, about "
        "1 KB each), parsed an execution at a time; the accounts swept kept as sorted 8-byte "
        "integers; the state table's by-state index (its 8 shards) through govbot's Store, a "
        "page of DynamoDB's 1 MB of items at a time, each page DynamoDB's JSON answer parsed "
        "by botocore's own parser (its time is the digest's; making the copies is timed apart "
        "and left out), asking only for the attributes it tallies. It tallies as it reads: "
        "counts and figures by detector, waste and "
        f"untagged spend, what awaits approval, and only the {KEEP} costliest findings whole "
        "(what the Slack and SNS digests name, with the rest counted). To count a resource "
        "once where two detectors judge its kind (endpoints: idle and over-provisioned), it "
        "reads the over-provisioned ones first, in a pass of their own, and remembers a "
        "64-bit digest of each ARN and a figure (16 bytes, in sorted arrays), then reads "
        "everything else and holds each idle one against them: only the rarer side is "
        "remembered.",
        "",
        "| accounts | open findings | the Map's result file | digest time (CPU, no "
        "DynamoDB latency) | Python heap peak | findings remembered to count their "
        "resource once |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['accounts']:,} | {r['findings']:,} | {r['results_mib']:.1f} MiB | "
            f"{r['seconds']:.1f} s | {r['heap_mib']:.1f} MiB | {r['remembered']:,} |"
        )
    first, last = rows[0], rows[-1]
    growth = last["heap_mib"] / first["heap_mib"] - 1
    lines += [
        "",
        f"From {first['accounts']:,} to {last['accounts']:,} accounts the heap peak goes from "
        f"{first['heap_mib']:.1f} to {last['heap_mib']:.1f} MiB ({growth:+.0%}): a page of "
        "the table is most of it, whatever the organisation's size. What still grows with "
        "the organisation is 8 bytes an account swept and 16 bytes a remembered endpoint. "
        "Before the tally the digest held every finding (649 MiB at 300 accounts); before "
        "the results were streamed, it held the Map's whole result file parsed.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[300, 1000, 3000])
    args = parser.parse_args()
    print("sweeping one account of the estate…", file=sys.stderr)
    findings = measured_findings()
    rows = measure(findings, args.accounts)
    (HERE / "org_digest.md").write_text(render(len(findings), rows))
    print(f"wrote {HERE / 'org_digest.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
