"""What a sweep tells people, built once and rendered for SNS (text and JSON) and Slack."""

from __future__ import annotations

import hashlib
import heapq
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass

from govbot.cycle.contracts import State
from govbot.cycle.models import DetectorSummary, Finding, SweepReport, money
from govbot.cycle.policy import Policy
from govbot.detectors import DETECTORS, Mode
from govbot.state.savings import headline as savings_headline
from govbot.state.savings import waiting_usd, would_save

# Severity of a sweep by the monthly waste it found (filterable in SNS subscriptions).
SEVERITY = ((1000.0, "high"), (100.0, "medium"), (0.0, "low"))


@dataclass(frozen=True)
class Told:
    finding: Finding
    state: State | None  # None when nothing is stored (no state table)

    @property
    def awaits_approval(self) -> bool:
        return self.state is State.PENDING_APPROVAL


@dataclass(frozen=True)
class Digest:
    account_id: str
    regions: list[str]
    items: list[Told]  # costliest first: all of them, or the costliest an organisation's keeps
    total_monthly_cost_usd: float  # waste: what fixes would stop
    by_detector: dict[str, DetectorSummary]
    unattributed_monthly_usd: float = 0.0  # untagged resources' own spend, never waste
    headline: str | None = None  # replaces the default title (a budget breach's alert)
    done: tuple[str, ...] = ()  # what govbot did about it, one line each
    saved_this_month: float | None = None  # None: no savings records to read (no table)
    pricing_note: str | None = None  # said when the bundled table priced some regions
    count: int | None = None  # findings told, when more than ``items`` holds
    awaiting: int | None = None  # of them awaiting approval, likewise
    waiting: float | None = None  # what those would save, likewise

    @property
    def findings(self) -> int:
        return len(self.items) if self.count is None else self.count

    @property
    def awaiting_approval(self) -> int:
        if self.awaiting is not None:
            return self.awaiting
        return sum(t.awaits_approval for t in self.items)

    @property
    def waiting_usd(self) -> float:
        if self.waiting is not None:
            return self.waiting
        return waiting_usd(t.finding for t in self.items if t.awaits_approval)

    @property
    def savings_line(self) -> str | None:
        """What the digest leads with: saved this month, and what waits for approval."""
        if self.saved_this_month is None:
            return None
        return savings_headline(self.saved_this_month, self.waiting_usd)

    @property
    def title(self) -> str:
        waste = f"govbot: {money(self.total_monthly_cost_usd)}/month of waste"
        return self.headline or (f"govbot: {self.savings_line}" if self.savings_line else waste)

    @property
    def severity(self) -> str:
        return next(name for floor, name in SEVERITY if self.total_monthly_cost_usd >= floor)

    @property
    def detectors(self) -> list[str]:
        return sorted({t.finding.detector for t in self.items})


QUIET = frozenset({State.REJECTED, State.SNOOZED, State.REMEDIATED, State.RESOLVED})


def _shared_kinds(kind: str) -> frozenset[str]:
    """Resource types more than one detector of a cost kind judges: only their findings can
    add the same resource to a figure twice, so only they are remembered to count it once."""
    types = [t for det in DETECTORS.values() if det.cost_kind == kind for t in det.kinds]
    return frozenset(t for t in types if types.count(t) > 1)


def streamed_detectors() -> frozenset[str]:
    """For a tally that reads findings detector by detector: of the detectors judging a kind
    several waste detectors judge, the first (idle-endpoint before overprovisioned-endpoint)
    is read last and not remembered, the others first and remembered; each finding of it is
    then held against what was remembered and forgotten."""
    shared = _shared_kinds("waste")
    first: dict[str, str] = {}
    for d, det in DETECTORS.items():
        if det.cost_kind == "waste":
            for t in det.kinds:
                if t in shared:
                    first.setdefault(t, d)
    return frozenset(first.values())


def remembered_detectors() -> list[str]:
    """The detectors whose findings a detector-by-detector tally remembers (those of a kind
    several waste detectors judge, other than the streamed one): read first, in a pass of
    their own, so that everything else can be read in any order after them."""
    shared = _shared_kinds("waste")
    streamed = streamed_detectors()
    return [
        d
        for d, det in DETECTORS.items()
        if det.cost_kind == "waste" and d not in streamed and set(det.kinds) & shared
    ]


class SortedKeys:
    """A set of unsigned 64-bit keys held as one sorted array, 8 bytes a key (a Python set
    takes about 60): what an organisation's digest keeps per account or per resource."""

    def __init__(self) -> None:
        self.keys = array("Q")

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, key: int) -> tuple[int, bool]:
        """Where the key is, or would go, and whether it is there."""
        i = bisect_left(self.keys, key)
        return i, i < len(self.keys) and self.keys[i] == key

    def __contains__(self, key: int) -> bool:
        return self.find(key)[1]

    def add(self, key: int) -> tuple[int, bool]:
        """Add the key; where it is, and whether it was new. An insert moves the tail in C:
        cheap at the thousands an organisation holds."""
        i, found = self.find(key)
        if not found:
            self.keys.insert(i, key)
        return i, not found


class Remembered:
    """Resources seen maybe twice, by a 64-bit digest of the ARN, with the most one figure
    counts for each: two sorted arrays, 16 bytes a resource (a dict held about 190), so an
    organisation's over-provisioned endpoints stay a small part of the digest's memory."""

    def __init__(self) -> None:
        self.keys = SortedKeys()
        self.usd = array("d")  # by the keys' order

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: int) -> bool:
        return key in self.keys

    def keep_most(self, key: int, usd: float) -> None:
        i, new = self.keys.add(key)
        if new:
            self.usd.insert(i, usd)
        else:
            self.usd[i] = max(self.usd[i], usd)

    def total(self) -> float:
        return sum(self.usd)


class Tally:
    """A digest's figures added up one finding at a time, holding only the ``keep`` costliest
    findings one by one (an organisation's can be millions): counts and figures by detector,
    waste and untagged spend and what awaits approval (each resource once). Only findings of
    a kind several detectors of one cost kind judge (endpoints: idle and over-provisioned) are
    remembered for that, by a 64-bit digest of the ARN; a detector names a resource once (a
    test holds the detectors to it)."""

    def __init__(
        self, policy: Policy, keep: int | None = None, streamed: frozenset[str] = frozenset()
    ) -> None:
        # ``streamed``: detectors whose findings come after every other detector's (see
        # streamed_detectors): held against what was remembered, never remembered themselves.
        self.policy, self.keep, self.streamed = policy, keep, streamed
        # What awaits approval saves only where a fix stops waste (untagged: nothing).
        self.shared = {
            "waste": _shared_kinds("waste"),
            "unattributed": _shared_kinds("unattributed"),
            "waiting": _shared_kinds("waste"),
        }
        self.kept: list[tuple[float, str, Told]] = []  # a min-heap when ``keep`` is set
        self.count = self.awaiting = 0
        self.detectors: dict[str, DetectorSummary] = {}
        # Per figure: the sum over resources seen once, and the resources seen maybe twice.
        self.sums: dict[str, float] = {"waste": 0.0, "unattributed": 0.0, "waiting": 0.0}
        self.twice: dict[str, Remembered] = {k: Remembered() for k in self.sums}

    def add(self, f: Finding, state: State | None) -> None:
        if self.policy.settings(f.detector).mode is Mode.REPORT or state in QUIET:
            return
        told = Told(f, state)
        self.count += 1
        self.detectors.setdefault(f.detector, DetectorSummary()).count(f)
        if f.monthly_cost_usd is not None and f.cost_kind in ("waste", "unattributed"):
            self._once(f, f.cost_kind, f.monthly_cost_usd)
        if told.awaits_approval:
            self.awaiting += 1
            saves = would_save(f)
            if saves:  # a fix that saves nothing never changes a resource's most
                self._once(f, "waiting", saves)
        entry = (f.monthly_cost_usd or 0.0, f.finding_id, told)
        if self.keep is None:
            self.kept.append(entry)
        elif len(self.kept) < self.keep:
            heapq.heappush(self.kept, entry)
        elif entry[:2] > self.kept[0][:2]:
            heapq.heapreplace(self.kept, entry)

    def _once(self, f: Finding, figure: str, usd: float) -> None:
        if f.resource_type not in self.shared[figure]:
            self.sums[figure] += usd
            return
        key = int.from_bytes(hashlib.blake2b(f.resource_arn.encode(), digest_size=8).digest())
        seen = self.twice[figure]
        if f.detector in self.streamed and key not in seen:
            self.sums[figure] += usd  # nothing read after it can name the resource again
        else:
            seen.keep_most(key, usd)

    def total(self, figure: str) -> float:
        return round(self.sums[figure] + self.twice[figure].total(), 2)

    def digest(
        self,
        report: SweepReport,
        headline: str | None = None,
        saved_this_month: float | None = None,
    ) -> Digest:
        """The digest: ``report`` gives the account, the regions, the actions and the pricing
        note (its findings are what was added, or more)."""
        ordered = sorted(
            self.kept,
            key=lambda e: (
                -e[0],
                e[2].finding.detector,
                e[2].finding.region,
                e[2].finding.resource_id,
            ),
        )
        return Digest(
            account_id=report.summary.account_id or "unknown",
            regions=report.summary.regions,
            items=[told for *_, told in ordered],
            total_monthly_cost_usd=self.total("waste"),
            unattributed_monthly_usd=self.total("unattributed"),
            by_detector={d: self.detectors[d] for d in DETECTORS if d in self.detectors},
            headline=headline,
            saved_this_month=saved_this_month,
            pricing_note=report.summary.pricing_note,
            done=tuple(
                f"{a.outcome.value}: {a.message}"
                for a in report.actions
                if a.outcome.value
                in ("remediated", "queued for the worker", "failed", "in progress")
            ),
            count=self.count,
            awaiting=self.awaiting,
            waiting=self.total("waiting"),
        )


def build_digest(
    report: SweepReport,
    policy: Policy,
    states: Mapping[str, State] | None = None,
    headline: str | None = None,
    saved_this_month: float | None = None,
) -> Digest:
    """The findings people are told about: every mode but ``report``, and not ones already
    decided (rejected, snoozed) or being fixed."""
    tally = Tally(policy)
    for f in report.findings:
        tally.add(f, (states or {}).get(f.finding_id))
    return tally.digest(report, headline, saved_this_month)
