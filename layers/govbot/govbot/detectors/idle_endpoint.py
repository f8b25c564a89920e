"""SageMaker real-time endpoints that served no request over the idle window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from govbot.detectors import register
from govbot.detectors.base import Detector, DetectorSettings, Mode
from govbot.inventory import RegionInventory
from govbot.models import Finding


class IdleEndpointSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(24, gt=0, le=24 * 63, description="Window with zero invocations.")


@register
class IdleEndpoint(Detector[IdleEndpointSettings]):
    id = "idle-endpoint"
    settings_model = IdleEndpointSettings
    permissions = (
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "cloudwatch:GetMetricData",
        "tag:GetResources",
    )

    def detect(self, inv: RegionInventory, settings: IdleEndpointSettings) -> Iterator[Finding]:
        window = timedelta(hours=settings.idle_hours)
        # Endpoints younger than the window cannot have been idle for all of it: not judged.
        candidates = [
            e
            for e in inv.endpoints
            if e["EndpointStatus"] == "InService" and inv.older_than(e["CreationTime"], window)
        ]
        endpoint_variants = {}
        for e in candidates:
            variants = inv.endpoint_variants(e["EndpointName"])
            # Gone since it was listed, or serverless only: nothing billed while idle.
            if variants and not all(v["serverless"] for v in variants):
                endpoint_variants[e["EndpointName"]] = (e, variants)

        pairs = [
            (name, v["variant_name"])
            for name, (_, variants) in endpoint_variants.items()
            for v in variants
        ]
        invocations = inv.invocations(pairs, window)

        for name, (summary, variants) in endpoint_variants.items():
            total = sum(invocations[(name, v["variant_name"])] for v in variants)
            if total > 0:
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
                details={
                    "endpoint_config_name": desc["EndpointConfigName"] if desc else None,
                    "variants": variants,
                    "idle_hours": settings.idle_hours,
                    "invocations": total,
                    "created": summary["CreationTime"].isoformat(),
                    "cost_basis": cost.basis,
                },
                tags=inv.tags(summary["EndpointArn"]),
            )
