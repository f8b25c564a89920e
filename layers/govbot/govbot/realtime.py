"""React in seconds: judge only the resource an event names, with the same detectors, policy
and engine as the nightly sweep.

An event govbot cannot use (another call, a failed call, a shape it does not know) is answered
with the reason and acknowledged; an event it should use but fails on raises, so Lambda's
retries and then the dead-letter queue keep it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from govbot.aws import AwsClients
from govbot.detectors import DETECTORS
from govbot.detectors.runaway_training_job import runtime_limit
from govbot.engine import Dispatch
from govbot.events import (
    CloudTrailDetail,
    EndpointStateDetail,
    ScheduledEvent,
    TrainingJobStateDetail,
)
from govbot.exemptions import exemption
from govbot.inventory import RegionInventory
from govbot.models import ActionOutcome, Finding
from govbot.policy import Policy
from govbot.pricing import Pricer
from govbot.recording import record_some
from govbot.remediation import execute, plan
from govbot.store import RESOLVABLE, State, StateConflict, Store

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
    def __init__(
        self,
        *,
        policy: Policy,
        clients: AwsClients,
        store: Store,
        now: datetime,
        dry_run: bool,
        dispatch: Dispatch | None = None,
    ) -> None:
        self.policy, self.clients, self.store, self.now = policy, clients, store, now
        self.dry_run, self.dispatch = dry_run, dispatch

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
        }
        handler = handlers.get(kind)
        if handler is None:
            return Judgement(event=kind, ignored=f"govbot does not use {kind!r} events")
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
        try:
            if name == "logs:CreateLogGroup":
                return self._judge(
                    name,
                    account,
                    region,
                    "AWS::Logs::LogGroup",
                    req["logGroupName"],
                    ["log-retention-gap", "untagged-resource"],
                )
            if name == "ec2:CreateVolume":
                vid = resp["volumeId"]
                self.store.set_clock(account, region, "AWS::EC2::Volume", vid, when, "created")
                return self._judge(
                    name, account, region, "AWS::EC2::Volume", vid, ["untagged-resource"]
                )
            if name == "ec2:DetachVolume":
                vid = req.get("volumeId") or resp["volumeId"]
                self.store.set_clock(account, region, "AWS::EC2::Volume", vid, when, "detached")
                return Judgement(
                    event=name,
                    resource=vid,
                    notes=[f"orphan clock of {vid} starts at {when:%Y-%m-%d %H:%M}"],
                )
            if name == "sagemaker:CreateEndpoint":
                return self._judge(
                    name,
                    account,
                    region,
                    "AWS::SageMaker::Endpoint",
                    req["endpointName"],
                    ["untagged-resource"],
                )
            if name == "sagemaker:CreateTrainingJob":
                job = req["trainingJobName"]
                judged = self._judge(
                    name, account, region, "AWS::SageMaker::TrainingJob", job, ["untagged-resource"]
                )
                judged.notes += self._stopping_condition(job, req)
                return judged
        except (KeyError, TypeError) as err:
            return Judgement(event=name, ignored=f"the event does not name its resource ({err!r})")
        return Judgement(event=name, ignored=f"govbot does not judge {name}")

    def _stopping_condition(self, job: str, req: dict[str, Any]) -> list[str]:
        settings = self.policy.settings("runaway-training-job")
        tags = {
            t.get("key", t.get("Key")): t.get("value", t.get("Value", ""))
            for t in req.get("tags") or []
            if isinstance(t, dict)
        }
        limit_hours, source = runtime_limit(tags, settings)  # type: ignore[arg-type]
        raw = (req.get("stoppingCondition") or {}).get("maxRuntimeInSeconds")
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
            "AWS::SageMaker::TrainingJob",
            job.TrainingJobName,
            f"the job ended ({job.TrainingJobStatus})",
        )
        return Judgement(
            event=name,
            resource=job.TrainingJobName,
            notes=[f"cleared {n} finding(s)" for n in [cleared] if n],
        )

    def _endpoint_state(self, detail: Any, account: str, region: str, at: datetime) -> Judgement:
        try:
            endpoint = EndpointStateDetail.model_validate(detail)
        except ValidationError as err:
            return Judgement(event="endpoint state", ignored=f"unreadable detail: {_first(err)}")
        name = f"endpoint {endpoint.EndpointStatus}"
        # The API says InService; the event, IN_SERVICE.
        if endpoint.EndpointStatus.replace("_", "").lower() != "inservice":
            return Judgement(
                event=name,
                resource=endpoint.EndpointName,
                ignored="only InService starts an idle window",
            )
        self.store.set_clock(
            account, region, "AWS::SageMaker::Endpoint", endpoint.EndpointName, at, "in service"
        )
        return Judgement(
            event=name,
            resource=endpoint.EndpointName,
            notes=[f"idle window of {endpoint.EndpointName} starts at {at:%Y-%m-%d %H:%M}"],
        )

    # -- the shared path ------------------------------------------------------------------

    def _judge(
        self, event: str, account: str, region: str, rtype: str, rid: str, detectors: list[str]
    ) -> Judgement:
        inv = RegionInventory(
            self.clients,
            region,
            account,
            self.now,
            Pricer(self.policy.pricing),
            scope={rtype: {rid}},
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
                if not exemption(
                    f.tags, det, self.now.date(), self.policy.exempt_tag, self.policy.snooze_tag
                )
            ]
        if not found:
            return Judgement(event=event, resource=rid)
        recorded = record_some(self.store, self.policy, found, self.now)
        cleared = plan(
            self.store, self.policy, now=self.now, dry_run=self.dry_run, account_id=account
        )
        ids = {f.finding_id for f in found}
        mine = [sf for sf in cleared.to_act if sf.finding_id in ids]
        actions = [o for o in cleared.outcomes if o.finding_id in ids]
        if mine:
            actions += (
                self.dispatch(mine)
                if self.dispatch
                else execute(
                    self.store,
                    self.policy,
                    self.clients,
                    mine,
                    now=self.now,
                    actor="realtime",
                    account_id=account,
                )
            )
        states = {fid: sf.state for fid, sf in recorded.items()}
        return Judgement(event=event, resource=rid, findings=found, states=states, actions=actions)

    def _resolve(self, account: str, region: str, rtype: str, rid: str, why: str) -> int:
        count = 0
        for det in ("runaway-training-job", "untagged-resource"):
            for sf in self.store.in_scope(account, region, det):
                f = sf.finding
                if (f.resource_type, f.resource_id) == (rtype, rid) and sf.state in RESOLVABLE:
                    try:
                        self.store.replace(
                            sf, sf.model_copy(update={"state": State.RESOLVED, "note": why})
                        )
                        count += 1
                    except StateConflict:
                        log.info("finding %s moved meanwhile", sf.finding_id)
        return count


def _first(err: ValidationError) -> str:
    e = err.errors()[0]
    return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
