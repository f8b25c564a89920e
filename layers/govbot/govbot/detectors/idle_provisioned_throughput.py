"""Bedrock provisioned model throughput that serves no invocations.

Only invocations under the provisioned model's own ARN count (the ``ModelId`` dimension of
``AWS/Bedrock`` Invocations): traffic to the same base model on demand is billed per token and
says nothing about the provisioned units. A throughput bought with a commitment term is billed
for the whole term whatever is done, so it is reported (with the term's end), never deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory, whole
from govbot.kinds import provisioned_throughput

NAMESPACE = "AWS/Bedrock"


class IdleProvisionedThroughputSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(
        168, gt=0, description="No invocations under the provisioned model for this long."
    )


class IdleProvisionedThroughputDetails(Details):
    provisioned_model_arn: str
    model_arn: str
    base_model: str
    model_units: int
    created: datetime
    commitment: str | None = None  # OneMonth, SixMonths
    commitment_ends: datetime | None = None
    deletable: bool  # no commitment term running


def base_model(p: Any) -> str:
    return str(p.get("foundationModelArn") or p["modelArn"]).rsplit("/", 1)[-1]


@register
class IdleProvisionedThroughput(Detector[IdleProvisionedThroughputSettings]):
    id = "idle-provisioned-throughput"
    kinds = (provisioned_throughput.TYPE,)
    settings_model = IdleProvisionedThroughputSettings
    details_model = IdleProvisionedThroughputDetails
    permissions = (
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
    )

    def detect(
        self, inv: RegionInventory, settings: IdleProvisionedThroughputSettings
    ) -> Iterator[Finding]:
        window = timedelta(hours=settings.idle_hours)
        candidates = [
            p
            for p in inv.listed(provisioned_throughput.KIND)
            if p["status"] == "InService" and inv.older_than(p["creationTime"], window)
        ]
        if not candidates:
            return
        # Every Invocations series under a candidate's own ARN, summed over the window at once.
        mine = {p["provisionedModelArn"] for p in candidates}
        series = [
            dims
            for dims in inv.metric_series(NAMESPACE, "Invocations")
            if dict(dims).get("ModelId") in mine
        ]
        queries = [MetricQuery(NAMESPACE, "Invocations", d, "Sum", whole(window)) for d in series]
        busy = {
            dict(q.dimensions)["ModelId"]
            for q, values in zip(queries, inv.metric_values(queries, window), strict=True)
            if sum(values) > 0
        }
        for p in candidates:
            arn = p["provisionedModelArn"]
            if arn in busy:
                continue
            yield self._finding(inv, p, settings)

    def _finding(
        self, inv: RegionInventory, p: Any, settings: IdleProvisionedThroughputSettings
    ) -> Finding:
        term, ends = p.get("commitmentDuration"), p.get("commitmentExpirationTime")
        committed = term is not None and ends is not None and ends > inv.now
        model, units = base_model(p), p["modelUnits"]
        cost = inv.pricer.model_units(model, term if committed else None, units, inv.region)
        return Finding(
            detector=self.id,
            resource_id=p["provisionedModelName"],
            resource_arn=p["provisionedModelArn"],
            resource_type=provisioned_throughput.TYPE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"{units} model unit(s) of {model} with no invocations in the last "
                f"{settings.idle_hours:g} h"
                + (f"; committed ({term}) until {ends:%Y-%m-%d}" if committed else "")
            ),
            proposed_action=(
                f"none before {ends:%Y-%m-%d}: the {term} term is billed whatever is done; "
                "use it, or delete it when the term ends"
                if committed
                else "delete the provisioned throughput (on-demand use of the model goes on)"
            ),
            details=IdleProvisionedThroughputDetails(
                provisioned_model_arn=p["provisionedModelArn"],
                model_arn=p["modelArn"],
                base_model=model,
                model_units=units,
                created=p["creationTime"],
                commitment=term,
                commitment_ends=ends,
                deletable=not committed,
                cost_basis=cost.basis,
            ).model_dump(mode="json"),
            tags=provisioned_throughput.KIND.tags_of(inv, p),
        )
