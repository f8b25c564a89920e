"""Real-time SageMaker endpoints running more instances than their peak load needs.

SageMaker reports each variant's ``CPUUtilization`` and ``GPUUtilization`` in the
``/aws/sagemaker/Endpoints`` namespace as the sum over the instance's cores or GPUs (0 to 100
each, so up to 400% on four vCPUs), and ``InvocationsPerInstance`` in ``AWS/SageMaker``. The
judgement is on the hottest hour of the lookback (the Maximum statistic, so the busiest
instance's busiest reading), normalised by the instance type's vCPUs and GPUs as EC2 describes
them: load spreads over the instances, so ``instances x peak share x (1 + headroom)`` is what
the peak needs. Variants under Application Auto Scaling are the scaling policy's to size, and
instances with accelerators SageMaker reports no utilisation for (Inferentia, Trainium) are not
judged: a busy accelerator behind an idle CPU must never look over-provisioned.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory
from govbot.kinds import endpoint
from govbot.kinds.endpoint import NAMESPACE as INVOCATIONS_NAMESPACE
from govbot.kinds.endpoint import CannotJudge
from govbot.pricing.pricer import Cost

UTILISATION_NAMESPACE = "/aws/sagemaker/Endpoints"
HOUR = 3600
COVERAGE = 0.9  # share of the lookback's hours that must have a utilisation reading


class OverprovisionedEndpointSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    lookback_days: float = Field(
        7, gt=0, le=63, description="Judge the peak over this many days (hourly readings)."
    )
    headroom_percent: float = Field(
        100, ge=0, description="Capacity kept above the peak: 100 keeps twice what it needed."
    )
    min_instances: int = Field(
        2, ge=1, description="Never fewer instances per variant (2 keeps two AZs serving)."
    )


class VariantSize(BaseModel):
    variant_name: str
    instance_type: str
    current: int
    desired: int
    judged_by: str  # "CPU" or "GPU": whichever was busier at its peak
    peak_percent: float  # of the instance's whole CPU or GPU capacity
    peak_invocations_per_instance: float  # per minute, at the busiest hour


class OverprovisionedEndpointDetails(Details):
    variants: list[VariantSize]
    lookback_days: float
    headroom_percent: float
    created: datetime


@register
class OverprovisionedEndpoint(Detector[OverprovisionedEndpointSettings]):
    id = "overprovisioned-endpoint"
    kinds = (endpoint.TYPE,)
    settings_model = OverprovisionedEndpointSettings
    details_model = OverprovisionedEndpointDetails
    permissions = (
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListInferenceComponents",
        "sagemaker:Search",
        "application-autoscaling:DescribeScalableTargets",
        "ec2:DescribeInstanceTypes",
        "cloudwatch:GetMetricData",
    )

    def detect(
        self, inv: RegionInventory, settings: OverprovisionedEndpointSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(days=settings.lookback_days)
        candidates = endpoint.in_service_for(inv, window)
        if not candidates:
            return
        # Only endpoints with a variant above the floor are described (their instance types
        # are in the config): the counts come in bulk, a hundred endpoints a call.
        counts = endpoint.instance_counts(inv)
        candidates = [
            e
            for e in candidates
            if any(n > settings.min_instances for n in counts.get(e["EndpointName"], {}).values())
        ]
        endpoint.prefetch_shapes(inv, (e["EndpointName"] for e in candidates))
        # Variants that could lose an instance: real-time, above the floor, not autoscaled.
        sized: list[tuple[Any, list[tuple[str, str, int]]]] = []
        for summary in candidates:
            try:
                shape = endpoint.shape(inv, summary["EndpointName"])
            except CannotJudge:
                continue  # idle-endpoint reports what cannot be read
            if shape is None or shape.kind != "real-time":
                continue
            variants = [
                (v.variant_name, v.instance_type, v.instance_count)
                for v in shape.variants
                if v.instance_type and v.instance_count > settings.min_instances
            ]
            if variants:
                sized.append((summary, variants))
        if not sized:
            return
        scaled = endpoint.autoscaled_variants(inv)
        hardware = inv.instance_shapes({t for _, vs in sized for _, t, _ in vs})
        asks: list[MetricQuery] = []
        for e, variants in sized:
            for name, _, _ in variants:
                dims = (("EndpointName", str(e["EndpointName"])), ("VariantName", name))
                asks += [
                    MetricQuery(UTILISATION_NAMESPACE, "CPUUtilization", dims, "Maximum", HOUR),
                    MetricQuery(UTILISATION_NAMESPACE, "GPUUtilization", dims, "Maximum", HOUR),
                    MetricQuery(
                        INVOCATIONS_NAMESPACE, "InvocationsPerInstance", dims, "Maximum", HOUR
                    ),
                ]
        readings = iter(inv.metric_values(asks, window))
        hours = int(window.total_seconds() // HOUR)
        for e, variants in sized:
            name = str(e["EndpointName"])
            changes, why_not = [], None
            for variant, instance_type, count in variants:
                cpu, gpu, calls = next(readings), next(readings), next(readings)
                if (name, variant) in scaled:
                    continue  # the scaling policy sets its count
                hw = hardware.get(instance_type)
                if hw is None:
                    why_not = f"EC2 does not describe {instance_type} (its vCPUs and GPUs)"
                    continue
                if hw.other_accelerators:
                    why_not = f"{instance_type}'s accelerators report no utilisation"
                    continue
                busiest = gpu if hw.gpus else cpu
                if len(busiest) < COVERAGE * hours:
                    what = "GPU" if hw.gpus else "CPU"
                    why_not = f"{len(busiest)} of {hours} hours have {what} readings for {variant}"
                    continue
                if not calls or max(calls) <= 0:
                    continue  # no traffic at all: idle-endpoint's to judge
                peaks = {"CPU": max(cpu, default=0.0) / (100 * hw.vcpus)}
                if hw.gpus:
                    peaks["GPU"] = max(gpu, default=0.0) / (100 * hw.gpus)
                judged_by, peak = max(peaks.items(), key=lambda kv: kv[1])
                needed = math.ceil(count * peak * (1 + settings.headroom_percent / 100))
                desired = max(settings.min_instances, needed)
                if desired < count:
                    changes.append(
                        VariantSize(
                            variant_name=variant,
                            instance_type=instance_type,
                            current=count,
                            desired=desired,
                            judged_by=judged_by,
                            peak_percent=round(peak * 100, 1),
                            peak_invocations_per_instance=max(calls),
                        )
                    )
            if why_not and not changes:
                yield self.cannot_judge(inv, endpoint.TYPE, name, f"cannot judge: {why_not}")
            if changes:
                yield self._finding(inv, e, changes, settings)

    def _finding(
        self,
        inv: RegionInventory,
        e: Any,
        changes: list[VariantSize],
        settings: OverprovisionedEndpointSettings,
    ) -> Finding:
        cost = Cost.total(
            inv.pricer.instances(
                "sagemaker_hosting_hourly", v.instance_type, v.current - v.desired, inv.region
            )
            for v in changes
        )
        said = "; ".join(
            f"{v.variant_name}: {v.current} x {v.instance_type}, peak {v.peak_percent:g}% "
            f"{v.judged_by} ({v.peak_invocations_per_instance:g} calls/min per instance), "
            f"{v.desired} would do"
            for v in changes
        )
        return Finding(
            detector=self.id,
            resource_id=str(e["EndpointName"]),
            resource_arn=str(e["EndpointArn"]),
            resource_type=endpoint.TYPE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"more instances than its peak over {settings.lookback_days:g} days needs with "
                f"{settings.headroom_percent:g}% headroom; {said}"
            ),
            proposed_action="set "
            + ", ".join(f"{v.variant_name} to {v.desired} instances" for v in changes)
            + " (UpdateEndpointWeightsAndCapacities; restore sets them back)",
            details=OverprovisionedEndpointDetails(
                variants=changes,
                lookback_days=settings.lookback_days,
                headroom_percent=settings.headroom_percent,
                created=e["CreationTime"],
                cost_basis=f"the instances above what the peak needs: {cost.basis}",
            ).model_dump(mode="json"),
            tags=endpoint.KIND.tags_of(inv, e),
        )
