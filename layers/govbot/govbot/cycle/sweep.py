"""The sweep: every enabled detector in every region, exemptions applied, failures contained.

A failure in one region or detector (access denied, throttling past retries, an endpoint that
does not answer) becomes an entry in ``errors`` and the rest of the sweep completes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from govbot.aws import AwsClients, is_transient
from govbot.cycle.exemptions import exemption
from govbot.cycle.models import Finding, SweepError, SweepReport, Undecided
from govbot.cycle.policy import Policy, PolicyError
from govbot.detectors import DETECTORS
from govbot.inventory import RegionInventory
from govbot.pricing.price_list import PriceBook
from govbot.pricing.pricer import Pricer

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
MAX_PARALLEL_REGIONS = 8


@dataclass
class _RegionResult:
    findings: list[Finding] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    errors: list[SweepError] = field(default_factory=list)
    exempted: int = 0
    units_swept: int = 0
    transient: bool = False  # it failed on what may well work a moment later


def error_of(exc: Exception, region: str, detector: str | None) -> SweepError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return SweepError(
            region=region,
            detector=detector,
            code=err.get("Code", "ClientError"),
            message=err.get("Message", str(exc)),
        )
    return SweepError(region=region, detector=detector, code=type(exc).__name__, message=str(exc))


def resolve_regions(policy: Policy, clients: AwsClients, regions: list[str] | None) -> list[str]:
    chosen = regions or policy.regions
    if not chosen and clients.default_region:
        chosen = [clients.default_region]
    if not chosen:
        raise PolicyError(
            "no region to sweep: pass --regions, set regions in the policy, or set "
            "AWS_DEFAULT_REGION (or AWS_REGION)"
        )
    return list(dict.fromkeys(chosen))


def run_sweep(
    policy: Policy,
    clients: AwsClients,
    *,
    regions: list[str] | None = None,
    account_id: str | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    clocks: Callable[[str, str], dict[tuple[str, str], datetime]] | None = None,
    prices: PriceBook | None = None,
) -> SweepReport:
    """Every enabled detector in every region; ``prices`` reads the AWS Price List (else the
    bundled table prices alone)."""
    regions = resolve_regions(policy, clients, regions)
    detector_ids = policy.enabled_detectors()
    now = now or datetime.now(UTC)
    say = progress or (lambda _msg: None)

    if account_id is None:
        try:
            account_id = clients.account_id(regions[0])
        except (ClientError, BotoCoreError) as exc:
            # Without credentials that work, no region can be swept.
            errors = [error_of(exc, r, None) for r in regions]
            return SweepReport.build(
                findings=[],
                errors=errors,
                api_calls=dict(clients.calls),
                regions=regions,
                detector_ids=detector_ids,
                exempted=0,
                units_swept=0,
                units_failed=len(regions) * max(1, len(detector_ids)),
            )

    pricer = Pricer(policy.pricing, prices)

    def sweep_region(region: str) -> _RegionResult:
        try:
            known = clocks(account_id, region) if clocks else None
        except (ClientError, BotoCoreError):  # a sweep without clocks still stands
            log.warning("no clocks for %s: judging by API dates alone", region, exc_info=True)
            known = None
        inv = RegionInventory(clients, region, account_id, now, pricer, clocks=known)

        def run_detector(det_id: str) -> _RegionResult:
            """One detector in this region, exemptions applied; a failure is its result."""
            unit = _RegionResult()
            try:
                found = list(DETECTORS[det_id]().detect(inv, policy.settings(det_id)))
            except (ClientError, BotoCoreError) as exc:
                unit.errors.append(error_of(exc, region, det_id))
                unit.transient = is_transient(exc)
            except Exception as exc:  # a bug in one detector must not lose the others
                log.exception("detector %s failed in %s", det_id, region)
                unit.errors.append(error_of(exc, region, det_id))
            if unit.errors:
                say(f"{region} {det_id}: failed ({unit.errors[0].code})")
                return unit
            unit.undecided = [u for u in found if isinstance(u, Undecided)]
            judged = [f for f in found if isinstance(f, Finding)]
            unit.findings = [
                f
                for f in judged
                if not exemption(f.tags, det_id, now.date(), policy.exempt_tag, policy.snooze_tag)
            ]
            unit.exempted = len(judged) - len(unit.findings)
            unit.units_swept = 1
            said = f", {len(unit.undecided)} cannot be judged" if unit.undecided else ""
            say(f"{region} {det_id}: {len(unit.findings)} finding(s){said}")
            return unit

        # The detectors read one shared inventory concurrently; their results are taken in
        # the detectors' order, so a report does not depend on which finished first.
        with ThreadPoolExecutor(max_workers=max(1, len(detector_ids))) as pool:
            units = list(pool.map(run_detector, detector_ids))
            # A unit that failed on throttling, a 5xx or a timeout past the SDK's retries is
            # tried once more now, before it is reported: across an organisation such failures
            # are a nightly certainty. The inventory kept what succeeded, so only the calls
            # that failed are made again.
            again = [d for d, u in zip(detector_ids, units, strict=True) if u.transient]
            if again:
                say(f"{region}: trying {len(again)} unit(s) that failed transiently once more")
                retried = dict(zip(again, pool.map(run_detector, again), strict=True))
                units = [retried.get(d, u) for d, u in zip(detector_ids, units, strict=True)]
        return _RegionResult(
            findings=[f for u in units for f in u.findings],
            undecided=[x for u in units for x in u.undecided],
            errors=[e for u in units for e in u.errors],
            exempted=sum(u.exempted for u in units),
            units_swept=sum(u.units_swept for u in units),
        )

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_REGIONS, len(regions))) as pool:
        results = list(pool.map(sweep_region, regions))

    return SweepReport.build(
        findings=[f for r in results for f in r.findings],
        cannot_judge=[u for r in results for u in r.undecided],
        errors=[e for r in results for e in r.errors],
        api_calls=dict(clients.calls),
        regions=regions,
        detector_ids=detector_ids,
        exempted=sum(r.exempted for r in results),
        units_swept=sum(r.units_swept for r in results),
        units_failed=sum(len(r.errors) for r in results),
        account_id=account_id,
        pricing_note=prices.note() if prices and policy.pricing.use_price_list else None,
    )
