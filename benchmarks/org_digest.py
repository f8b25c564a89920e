"""The organisation digest's memory and time as the organisation grows: 300, 1,000 and 3,000
accounts of findings.

One account of the sweep benchmark's 500-resource estate is swept into a state table (moto,
in-process); its open findings are then copied to each account of the organisation as the
digest reads them (the state table's pages, 100 findings at a time, made as they are asked
for, so neither the emulator nor the copies are measured), and the digest tallies them. Its
Python heap peak (tracemalloc) and time are what is measured. Writes benchmarks/org_digest.md.

    python benchmarks/org_digest.py [--accounts 300 1000 3000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto import mock_aws
from sweep_calls import seed  # sets the emulator's credentials first

from govbot.aws import AwsClients
from govbot.cycle.contracts import State, StoredFinding
from govbot.cycle.engine import govern
from govbot.cycle.policy import Policy
from govbot.handlers.org_digest import KEEP, organisation_report
from govbot.state.store import Store
from govbot_emulator import moto_extensions

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
OPEN = (State.OPEN, State.PENDING_APPROVAL, State.APPROVED)


class CopiedStore:
    """The measured account's open findings, as every account of the organisation holds
    them: each_in_state yields them state by state, made when asked for."""

    def __init__(self, findings: list[StoredFinding], accounts: list[str]) -> None:
        self.findings, self.accounts = findings, accounts

    def each_in_state(
        self, *states: State, detectors: list[str] | None = None
    ) -> Iterator[StoredFinding]:
        for detector in detectors or [None]:
            yield from self._copies(states, detector)

    def _copies(self, states: tuple[State, ...], detector: str | None) -> Iterator[StoredFinding]:
        for state in states:
            for account in self.accounts:
                for sf in self.findings:
                    if sf.state is not state or detector not in (None, sf.finding.detector):
                        continue
                    f = sf.finding
                    source = f.account_id
                    yield sf.model_copy(
                        update={
                            "finding": f.model_copy(
                                update={
                                    "account_id": account,
                                    "resource_arn": f.resource_arn.replace(source, account),
                                    "finding_id": f"{f.finding_id}-{account}",
                                }
                            )
                        }
                    )


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
    policy = Policy(regions=[REGION])
    rows = []
    for size in sizes:
        accounts = [f"3{i:011d}" for i in range(size)]
        results = [{"account_id": a, "findings": len(findings)} for a in accounts]
        tracemalloc.start()
        started = time.perf_counter()
        _, tally = organisation_report(CopiedStore(findings, accounts), policy, [REGION], results)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rows.append(
            {
                "accounts": size,
                "findings": tally.count,
                "seconds": seconds,
                "heap_mib": peak,
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
        "findings; each account of the organisation holds a copy. The digest reads them a page "
        "at a time and tallies them as it reads: counts and figures by detector, waste and "
        f"untagged spend, what awaits approval, and only the {KEEP} costliest findings whole "
        "(what the Slack and SNS digests name, with the rest counted). To count a resource "
        "once where two detectors judge its kind (endpoints: idle and over-provisioned), it "
        "reads the over-provisioned ones first and remembers an 8-byte digest and a figure "
        "for each, then holds each idle one against them: only the rarer side is "
        "remembered.",
        "",
        "| accounts | open findings | digest time (CPU, no DynamoDB) | Python heap peak | "
        "findings remembered to count their resource once |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['accounts']:,} | {r['findings']:,} | {r['seconds']:.1f} s | "
            f"{r['heap_mib']:.1f} MiB | {r['remembered']:,} |"
        )
    first, last = rows[0], rows[-1]
    lines += [
        "",
        f"From {first['accounts']:,} to {last['accounts']:,} accounts the heap goes from "
        f"{first['heap_mib']:.1f} to {last['heap_mib']:.1f} MiB; before the tally the digest "
        "held every finding (649 MiB at 300 accounts, benchmarks/org_results.md).",
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
