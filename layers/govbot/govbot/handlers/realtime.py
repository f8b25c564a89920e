"""React in seconds: judge only the resource an event names, with the same detectors, policy
and engine as the nightly sweep.

An event govbot cannot use (another call, a failed call, a shape it does not know) is answered
with the reason and acknowledged; an event it should use but fails on raises, so Lambda's
retries and then the dead-letter queue keep it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from govbot import runtime
from govbot.cycle.contracts import RESOLVABLE, State
from govbot.cycle.engine import Cycle
from govbot.cycle.exemptions import exemption
from govbot.cycle.models import ActionOutcome, Finding, SweepReport
from govbot.cycle.remediation import ClientsFor
from govbot.delivery.channels import acting_clients, notify, queue_dispatch, reading_clients
from govbot.detectors import DETECTORS
from govbot.detectors.registry import judging
from govbot.detectors.runaway_training_job import runtime_limit
from govbot.handlers.events import (
    CloudTrailDetail,
    EndpointStateDetail,
    HealthDetail,
    ScheduledEvent,
    TrainingJobStateDetail,
)
from govbot.inventory import RegionInventory
from govbot.kinds import cloudtrail_call, endpoint, health_event, training_job
from govbot.pricing.price_list import PriceBook
from govbot.pricing.pricer import Pricer
from govbot.runtime import Settings
from govbot.state.store import quietly

log = logging.getLogger(__name__)

ENDED = {"Completed", "Failed", "Stopped"}


class Judgement(BaseModel):
    """What the function made of one event."""

    event: str
    resource: str | None = None
    ignored: str | None = None  # why the event was not used
    findings: list[Finding] = Field(default_factory=list)
    states: dict[str, State] = Field(default_factory=dict)  # each finding's state, as recorded
    actions: list[ActionOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Realtime:
    """Judges one event's resource through the engine's cycle (record, plan, act or queue)."""

    def __init__(self, cycle: Cycle, readers: ClientsFor) -> None:
        self.cycle, self.readers = cycle, readers
        self.policy, self.store, self.now = cycle.policy, cycle.store, cycle.now

    # -- entry ----------------------------------------------------------------------------

    def handle(self, raw: dict[str, Any]) -> Judgement:
        try:
            event = ScheduledEvent.model_validate(raw)  # any EventBridge event
        except ValidationError as err:
            return Judgement(event="unknown", ignored=f"not an EventBridge event: {_first(err)}")
        kind = event.detail_type
        handlers: dict[str, Callable[[Any, str, str, datetime], Judgement]] = {
            "AWS API Call via CloudTrail": self._api_call,
            "SageMaker Training Job State Change": self._training_job_state,
            "SageMaker Endpoint State Change": self._endpoint_state,
            "AWS Health Event": self._health,
        }
        handler = handlers.get(kind)
        if handler is None:
            # An empty detail-type still names something in the answer and the logs.
            return Judgement(
                event=kind or "unknown", ignored=f"govbot does not use {kind!r} events"
            )
        return handler(event.detail, event.account, event.region, event.time)

    # -- CloudTrail -----------------------------------------------------------------------

    def _api_call(self, detail: Any, account: str, region: str, at: datetime) -> Judgement:
        try:
            call = CloudTrailDetail.model_validate(detail)
        except ValidationError as err:
            return Judgement(
                event="AWS API Call", ignored=f"unreadable CloudTrail detail: {_first(err)}"
            )
        name = f"{call.eventSource.split('.')[0]}:{call.eventName}"
        if call.errorCode:
            return Judgement(event=name, ignored=f"the call failed ({call.errorCode})")
        region = call.awsRegion or region
        when = call.eventTime or at
        req, resp = call.requestParameters or {}, call.responseElements or {}
        known = cloudtrail_call(name)
        if known is None:
            return Judgement(event=name, ignored=f"govbot does not judge {name}")
        rtype, rule = known
        rid = rule.resource_id(req, resp)
        if rid is None:
            return Judgement(event=name, ignored="the event does not name its resource")
        notes = []
        if rule.clock:
            self.store.set_clock(account, region, rtype.type, rid, when, rule.clock)
            notes.append(f"{rule.clock}: waste clock of {rid} starts at {when:%Y-%m-%d %H:%M}")
        judged = self._judge(name, account, region, rtype.type, (rid,), rule.detectors)
        if rule.clock and rule.detectors and not judged.findings:
            # In use again (a notebook opened): what waited for approval no longer stands.
            cleared = self._resolve(
                account,
                region,
                rtype.type,
                rid,
                f"{rule.clock} at {when:%Y-%m-%d %H:%M}",
                rule.detectors,
            )
            notes += [f"cleared {cleared} finding(s)"] if cleared else []
        judged.notes = notes + judged.notes
        if name == "sagemaker:CreateTrainingJob":
            judged.notes += self._stopping_condition(rid, req)
        return judged

    def _stopping_condition(self, job: str, req: dict[str, Any]) -> list[str]:
        settings = self.policy.settings("runaway-training-job")
        listed = req.get("tags")
        tags = {
            str(t.get("key", t.get("Key"))): str(t.get("value", t.get("Value", "")))
            for t in (listed if isinstance(listed, list) else [])
            if isinstance(t, dict)
        }
        limit_hours, source = runtime_limit(tags, settings)  # type: ignore[arg-type]
        condition = req.get("stoppingCondition")
        raw = condition.get("maxRuntimeInSeconds") if isinstance(condition, dict) else None
        try:
            allowed = float(raw) / 3600 if raw is not None else None
        except (TypeError, ValueError):
            allowed = None
        if allowed is None or allowed > limit_hours:
            said = "no stopping condition" if allowed is None else f"may run {allowed:g} h"
            return [
                f"training job {job} {said}, beyond the limit of {limit_hours:g} h ({source}): "
                "runaway-training-job will flag it past that"
            ]
        return []

    # -- AWS Health -----------------------------------------------------------------------

    def _health(self, detail: Any, account: str, region: str, at: datetime) -> Judgement:
        try:
            health = HealthDetail.model_validate(detail)
        except ValidationError as err:
            return Judgement(event="AWS Health", ignored=f"unreadable detail: {_first(err)}")
        name = health.eventTypeCode
        known = health_event(name)
        if known is None:
            return Judgement(event=name, ignored=f"govbot does not judge {name}")
        ids = health.resource_ids()
        if not ids:
            return Judgement(event=name, ignored="the event names no affected resource")
        rtype, detectors = known
        return self._judge(name, account, region, rtype.type, tuple(ids), detectors)

    # -- SageMaker state changes ----------------------------------------------------------

    def _training_job_state(
        self, detail: Any, account: str, region: str, at: datetime
    ) -> Judgement:
        try:
            job = TrainingJobStateDetail.model_validate(detail)
        except ValidationError as err:
            return Judgement(
                event="training job state", ignored=f"unreadable detail: {_first(err)}"
            )
        name = f"training job {job.TrainingJobStatus}"
        if job.TrainingJobStatus not in ENDED:
            settings = self.policy.settings("runaway-training-job")
            limit, source = runtime_limit(job.Tags, settings)  # type: ignore[arg-type]
            started = job.TrainingStartTime or at
            end = started + timedelta(hours=limit)
            return Judgement(
                event=name,
                resource=job.TrainingJobName,
                notes=[f"expected to end by {end:%Y-%m-%d %H:%M} ({source})"],
            )
        cleared = self._resolve(
            account,
            region,
            training_job.TYPE,
            job.TrainingJobName,
            f"the job ended ({job.TrainingJobStatus})",
            judging(training_job.TYPE),
        )
        return Judgement(
            event=name,
            resource=job.TrainingJobName,
            notes=[f"cleared {n} finding(s)" for n in [cleared] if n],
        )

    def _endpoint_state(self, detail: Any, account: str, region: str, at: datetime) -> Judgement:
        try:
            state = EndpointStateDetail.model_validate(detail)
        except ValidationError as err:
            return Judgement(event="endpoint state", ignored=f"unreadable detail: {_first(err)}")
        name = f"endpoint {state.EndpointStatus}"
        # The API says InService; the event, IN_SERVICE.
        if state.EndpointStatus.replace("_", "").lower() != "inservice":
            return Judgement(
                event=name,
                resource=state.EndpointName,
                ignored="only InService starts an idle window",
            )
        self.store.set_clock(account, region, endpoint.TYPE, state.EndpointName, at, "in service")
        return Judgement(
            event=name,
            resource=state.EndpointName,
            notes=[f"idle window of {state.EndpointName} starts at {at:%Y-%m-%d %H:%M}"],
        )

    # -- the shared path ------------------------------------------------------------------

    def _judge(
        self,
        event: str,
        account: str,
        region: str,
        rtype: str,
        rids: tuple[str, ...],
        detectors: tuple[str, ...],
    ) -> Judgement:
        rid = ", ".join(rids)
        if not detectors:
            return Judgement(event=event, resource=rid)
        inv = RegionInventory(
            self.readers(account),
            region,
            account,
            self.now,
            Pricer(self.policy.pricing, PriceBook(self.readers(account), self.store, self.now)),
            scope={rtype: set(rids)},
            clocks=self.store.clocks(account, region),
        )
        found = []
        for det in detectors:
            settings = self.policy.settings(det)
            if not settings.enabled:
                continue
            found += [
                f
                for f in DETECTORS[det]().detect(inv, settings)
                if isinstance(f, Finding)
                and not exemption(
                    f.tags, det, self.now.date(), self.policy.exempt_tag, self.policy.snooze_tag
                )
            ]
        if not found:
            return Judgement(event=event, resource=rid)
        governed = self.cycle.found(found)
        return Judgement(
            event=event,
            resource=rid,
            findings=found,
            states=governed.states,
            actions=governed.report.actions,
        )

    def _resolve(
        self,
        account: str,
        region: str,
        rtype: str,
        rid: str,
        why: str,
        detectors: tuple[str, ...],
    ) -> int:
        count = 0
        for det in detectors:
            for sf in self.store.in_scope(account, region, det):
                f = sf.finding
                if (f.resource_type, f.resource_id) == (rtype, rid) and sf.state in RESOLVABLE:
                    moved = quietly(
                        self.store.transition, sf.finding_id, RESOLVABLE, State.RESOLVED, note=why
                    )
                    count += moved is not None
        return count


def _first(err: ValidationError) -> str:
    e = err.errors()[0]
    return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"


# -- the function's wiring ------------------------------------------------------------
def judge(settings: Settings, event: dict[str, Any]) -> Judgement:
    policy = runtime.load_policy(settings)
    now = datetime.now(UTC)
    cycle = Cycle(
        policy=policy,
        store=runtime.store(settings),
        now=now,
        dry_run=settings.dry_run,
        actor="realtime",
        clients_for=acting_clients(settings, policy),
        dispatch=queue_dispatch(settings, now),
    )
    judgement = Realtime(cycle, reading_clients(settings, policy)).handle(event)
    if judgement.findings:
        # Reported within seconds, through the same SNS and Slack digest as the nightly run.
        report = SweepReport.build(
            findings=judgement.findings, account_id=judgement.findings[0].account_id
        )
        notify(settings, policy, report, judgement.states)
    return judgement
