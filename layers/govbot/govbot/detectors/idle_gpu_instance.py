"""EC2 GPU and accelerator instances running with their accelerators idle.

GPU utilisation comes from the CloudWatch agent (``nvidia_smi_utilization_gpu``) or NVIDIA
DCGM through it (``DCGM_FI_DEV_GPU_UTIL``), both in the CWAgent namespace; where an instance
publishes neither, its CPUUtilization stands in. Either way the judgement is on each hour's
peak (the Maximum statistic), and only over a window the metrics cover: a burst of work in any
hour means busy, and an instance whose metrics say too little is not judged at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory
from govbot.kinds import instance
from govbot.kinds.instance import TYPE as INSTANCE

# Instance families with GPUs or ML accelerators: p, g (and gr), inf, trn, dl.
ACCELERATED = re.compile(r"^(p|g|gr|inf|trn|dl)\d")
GPU_METRICS = ("nvidia_smi_utilization_gpu", "DCGM_FI_DEV_GPU_UTIL")
AGENT_NAMESPACE = "CWAgent"
HOUR = 3600
# Share of the window's hours that must have a reading before the window can be judged.
COVERAGE = 0.9
ASG_TAG = "aws:autoscaling:groupName"


class IdleGpuInstanceSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(72, gt=0, description="How long the accelerators must have idled.")
    max_gpu_percent: float = Field(
        5, ge=0, le=100, description="Idle: no hour's peak GPU utilisation above this."
    )
    max_cpu_percent: float = Field(
        5, ge=0, le=100, description="Without GPU metrics: no hour's peak CPU above this."
    )


class IdleGpuInstanceDetails(Details):
    instance_type: str
    launched: datetime
    judged_by: str  # "GPU" or "CPU"
    metric: str
    peak_percent: float
    hours_read: int
    stoppable: bool
    # Why govbot leaves the stop to a person (instance store, Auto Scaling, Spot).
    not_stoppable: str | None = None
    auto_scaling_group: str | None = None


def accelerated(instance_type: str) -> bool:
    return bool(ACCELERATED.match(instance_type))


def why_not_stoppable(instance: Any, tags: dict[str, str]) -> str | None:
    if instance.get("RootDeviceType") != "ebs":
        return "its root device is an instance store (stopping would lose it)"
    if tags.get(ASG_TAG):
        return f"Auto Scaling group {tags[ASG_TAG]} would replace it"
    if instance.get("InstanceLifecycle") == "spot":
        return "a Spot instance cannot be stopped and started like this"
    return None


@register
class IdleGpuInstance(Detector[IdleGpuInstanceSettings]):
    id = "idle-gpu-instance"
    kinds = (INSTANCE,)
    settings_model = IdleGpuInstanceSettings
    details_model = IdleGpuInstanceDetails
    permissions = ("cloudwatch:ListMetrics", "cloudwatch:GetMetricData")

    def detect(
        self, inv: RegionInventory, settings: IdleGpuInstanceSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(hours=settings.idle_hours)
        # Running since before the window (a stop and start resets LaunchTime), and
        # accelerated: anything else is never this detector's.
        candidates = [
            i
            for i in inv.listed(instance.KIND)
            if i["State"]["Name"] == "running"
            and accelerated(i["InstanceType"])
            and inv.older_than(i["LaunchTime"], window)
        ]
        if not candidates:
            return
        # The agent names an instance by InstanceId when configured to (append_dimensions),
        # else only by its host name: either ties a GPU series to its instance, so GPU work
        # is never missed for want of a dimension (the CPU would then stand in, wrongly).
        owners = {i["InstanceId"]: i["InstanceId"] for i in candidates}
        for i in candidates:
            for host in _host_names(i):
                owners.setdefault(host, i["InstanceId"])
        # Every GPU series of the candidates (one per GPU), then every reading at once.
        gpu_series: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
        for metric in GPU_METRICS:
            for dims in inv.metric_series(AGENT_NAMESPACE, metric):
                named = dict(dims)
                owner = owners.get(named.get("InstanceId", "")) or owners.get(named.get("host", ""))
                if owner is not None:
                    gpu_series.setdefault(owner, []).append((metric, dims))
        # GPU readings where there are any; CPU only for the instances without.
        queries = [
            _gpu_query(metric, dims)
            for i in candidates
            for metric, dims in gpu_series.get(i["InstanceId"], [])
        ] + [_cpu_query(i["InstanceId"]) for i in candidates if i["InstanceId"] not in gpu_series]
        readings = dict(zip(queries, inv.metric_values(queries, window), strict=True))
        needed = int(settings.idle_hours * COVERAGE)
        for i in candidates:
            iid = i["InstanceId"]
            gpu = [readings[_gpu_query(m, d)] for m, d in gpu_series.get(iid, [])]
            cpu = readings.get(_cpu_query(iid), [])
            judged = _judge(gpu, cpu, needed, settings)
            if judged is None:
                yield self.cannot_judge(
                    inv,
                    INSTANCE,
                    iid,
                    "cannot judge: too few utilisation readings over the last "
                    f"{settings.idle_hours:g} h ({needed} hours needed)",
                )
                continue
            by, metric, peak, hours = judged
            if peak > (settings.max_gpu_percent if by == "GPU" else settings.max_cpu_percent):
                continue  # busy
            yield self._finding(inv, i, settings, by, metric, peak, hours)

    def _finding(
        self,
        inv: RegionInventory,
        i: Any,
        settings: IdleGpuInstanceSettings,
        by: str,
        metric: str,
        peak: float,
        hours: int,
    ) -> Finding:
        iid, itype = i["InstanceId"], i["InstanceType"]
        tags = instance.KIND.tags_of(inv, i)
        blocked = why_not_stoppable(i, tags)
        cost = inv.pricer.instances("ec2_hourly", itype, 1, inv.region)
        return Finding(
            detector=self.id,
            resource_id=iid,
            resource_arn=instance.KIND.arn_of(inv, i),
            resource_type=INSTANCE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            # Stable wording (no peak figure): the stored finding changes only when it should.
            reason=(
                f"{itype} running with {by} utilisation under "
                f"{settings.max_gpu_percent if by == 'GPU' else settings.max_cpu_percent:g}% "
                f"every hour of the last {settings.idle_hours:g} h"
            ),
            proposed_action=(
                "stop the instance (its EBS volumes stay; start it to carry on)"
                if blocked is None
                else f"none on its own: {blocked}; a person decides"
            ),
            details=IdleGpuInstanceDetails(
                instance_type=itype,
                launched=i["LaunchTime"],
                judged_by=by,
                metric=metric,
                peak_percent=round(peak, 2),
                hours_read=hours,
                stoppable=blocked is None,
                not_stoppable=blocked,
                auto_scaling_group=tags.get(ASG_TAG),
                cost_basis=f"{cost.basis}; its EBS volumes are billed either way",
            ).model_dump(mode="json"),
            tags=tags,
        )


def _gpu_query(metric: str, dims: tuple[tuple[str, str], ...]) -> MetricQuery:
    return MetricQuery(AGENT_NAMESPACE, metric, dims, "Maximum", HOUR)  # each hour's peak


def _cpu_query(instance_id: str) -> MetricQuery:
    return MetricQuery("AWS/EC2", "CPUUtilization", (("InstanceId", instance_id),), "Maximum", HOUR)


def _host_names(instance: Any) -> set[str]:
    """The host names the agent may report: the private DNS name, and its first label."""
    dns = instance.get("PrivateDnsName") or ""
    return {dns, dns.split(".", 1)[0]} - {""}


def _judge(
    gpu: list[list[float]], cpu: list[float], needed: int, settings: IdleGpuInstanceSettings
) -> tuple[str, str, float, int] | None:
    """(by, metric, peak, hours read), or None when it cannot be judged. GPU readings win:
    any busy GPU hour means busy, whatever the coverage; idle GPUs need readings over the
    window (the busiest GPU counts). CPU stands in only for an instance with no GPU series
    at all (GPU work can run with an idle CPU)."""
    name = "GPU utilisation (CloudWatch agent)"
    if any(gpu):
        peak = max(max(g) for g in gpu if g)
        hours = min(len(g) for g in gpu)
        if peak > settings.max_gpu_percent or hours >= max(needed, 1):
            return "GPU", name, peak, hours
        return None
    if gpu:  # GPU series exist but read nothing over the window
        return None
    if len(cpu) >= max(needed, 1):
        return "CPU", "CPUUtilization", max(cpu), len(cpu)
    return None
