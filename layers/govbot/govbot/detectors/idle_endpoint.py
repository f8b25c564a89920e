"""SageMaker real-time endpoints that served no request over the idle window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from govbot.detectors import register
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.inventory import RegionInventory
from govbot.models import Finding


class IdleEndpointSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    # At most 14 days: ListMetrics only knows metrics with data in the last two weeks.
    idle_hours: float = Field(
        default=24, gt=0, le=24 * 14, description="Window with zero invocations."
    )


class Variant(BaseModel):
    variant_name: str
    instance_type: str | None
    instance_count: int
    serverless: bool


class IdleEndpointDetails(Details):
    endpoint_config_name: str | None
    variants: list[Variant]
    idle_hours: float
    created: datetime


@register
class IdleEndpoint(Detector[IdleEndpointSettings]):
    id = "idle-endpoint"
    settings_model = IdleEndpointSettings
    details_model = IdleEndpointDetails
    permissions = (
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
        "tag:GetResources",
    )

    def detect(self, inv: RegionInventory, settings: IdleEndpointSettings) -> Iterator[Finding]:
        window = timedelta(hours=settings.idle_hours)
        # Endpoints younger than the window cannot have been idle for all of it: not judged.
        candidates = [
            e
            for e in inv.endpoints
            if e["EndpointStatus"] == "InService"
            and inv.older_than(
                inv.since("AWS::SageMaker::Endpoint", e["EndpointName"], e["CreationTime"]),
                window,
            )
        ]
        # Sum invocations only for variants CloudWatch has data for; an endpoint none of whose
        # variants has data served nothing. Only the idle ones are then described, for cost.
        with_data = inv.endpoint_variants_with_metrics
        pairs = [
            (e["EndpointName"], variant)
            for e in candidates
            for variant in sorted(with_data.get(e["EndpointName"], ()))
        ]
        busy = {endpoint for (endpoint, _), n in inv.invocations(pairs, window).items() if n > 0}

        for summary in candidates:
            name = summary["EndpointName"]
            if name in busy:
                continue
            variants = inv.endpoint_variants(name)
            # Gone since it was listed, or serverless only: nothing billed while idle.
            if not variants or all(v["serverless"] for v in variants):
                continue
            cost = inv.endpoint_cost(variants)
            desc = inv.endpoint(name)
            yield Finding(
                detector=self.id,
                resource_id=name,
                resource_arn=summary["EndpointArn"],
                resource_type="AWS::SageMaker::Endpoint",
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=(
                    f"no invocations in the last {settings.idle_hours:g} h across "
                    f"{len(variants)} variant(s); InService since "
                    f"{summary['CreationTime']:%Y-%m-%d}"
                ),
                proposed_action="delete the endpoint (its config and model are kept)",
                details=IdleEndpointDetails(
                    endpoint_config_name=desc["EndpointConfigName"] if desc else None,
                    variants=[Variant.model_validate(v) for v in variants],
                    idle_hours=settings.idle_hours,
                    created=summary["CreationTime"],
                    cost_basis=cost.basis,
                ).model_dump(mode="json"),
                tags=inv.tags(summary["EndpointArn"]),
            )
