"""SageMaker real-time endpoints that served no request over the idle window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import endpoint
from govbot.kinds.endpoint import CannotJudge, EndpointKind, Shape, Variant


class IdleEndpointSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    # At most 14 days: ListMetrics only knows metrics with data in the last two weeks.
    idle_hours: float = Field(
        default=24, gt=0, le=24 * 14, description="Window with zero invocations."
    )


class IdleEndpointDetails(Details):
    endpoint_config_name: str | None
    kind: EndpointKind
    variants: list[Variant]
    components: list[str] = Field(default_factory=list)
    idle_hours: float
    created: datetime


@register
class IdleEndpoint(Detector[IdleEndpointSettings]):
    id = "idle-endpoint"
    kinds = (endpoint.TYPE,)
    settings_model = IdleEndpointSettings
    details_model = IdleEndpointDetails
    permissions = (
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListInferenceComponents",
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
    )

    def detect(
        self, inv: RegionInventory, settings: IdleEndpointSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(hours=settings.idle_hours)
        # Endpoints younger than the window cannot have been idle for all of it: not judged.
        candidates = endpoint.in_service_for(inv, window)
        # Every traffic series CloudWatch holds for the candidates (Invocations per variant or
        # per inference component, async work and backlog), summed in one batch: any work at
        # all means busy, and a busy endpoint costs no describe. Only the rest are described.
        # No candidate (most regions of an organisation hold no endpoint): no metric listing.
        known = endpoint.traffic_series(inv) if candidates else {}
        series = [s for e in candidates for s in known.get(e["EndpointName"], ())]
        totals = endpoint.traffic(inv, series, window)
        busy = {
            name
            for e in candidates
            for name in [e["EndpointName"]]
            if any(totals[s] > 0 for s in known.get(name, ()))
        }
        endpoint.prefetch_shapes(
            inv, (e["EndpointName"] for e in candidates if e["EndpointName"] not in busy)
        )
        for summary in candidates:
            name = summary["EndpointName"]
            if name in busy:
                continue
            try:
                shape = endpoint.shape(inv, name)
            except CannotJudge as why:
                # Never guess towards deletion.
                yield self.cannot_judge(inv, endpoint.TYPE, name, f"cannot judge: {why}")
                continue
            if shape is None or not shape.bills_while_idle:
                continue  # gone since listed, or nothing billed while idle (scaled to zero)
            cost = endpoint.cost(inv, shape)
            desc = endpoint.describe(inv, name)
            yield Finding(
                detector=self.id,
                resource_id=name,
                resource_arn=summary["EndpointArn"],
                resource_type=endpoint.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=_reason(shape, settings.idle_hours, summary["CreationTime"]),
                proposed_action="delete the endpoint (its config and model are kept)",
                details=IdleEndpointDetails(
                    endpoint_config_name=desc["EndpointConfigName"] if desc else None,
                    kind=shape.kind,
                    variants=shape.variants,
                    components=shape.components,
                    idle_hours=settings.idle_hours,
                    created=summary["CreationTime"],
                    cost_basis=cost.basis,
                ).model_dump(mode="json"),
                tags=endpoint.KIND.tags_of(inv, summary),
            )


def _reason(shape: Shape, hours: float, created: datetime) -> str:
    since = f"InService since {created:%Y-%m-%d}"
    running = sum(v.instance_count for v in shape.variants)
    if shape.kind == "inference-components" and not shape.components:
        return f"{running} instance(s) running with no inference component to serve; {since}"
    if shape.kind == "inference-components":
        return (
            f"no invocations in the last {hours:g} h across {len(shape.components)} inference "
            f"component(s); {since}"
        )
    if shape.kind == "async":
        return f"processed no asynchronous request and held no backlog in {hours:g} h; {since}"
    if shape.kind == "serverless":
        return f"no invocations in {hours:g} h while paying for provisioned concurrency; {since}"
    return (
        f"no invocations in the last {hours:g} h across {len(shape.variants)} variant(s); {since}"
    )
