"""SageMaker endpoints: how govbot reads them, what kind each is, what traffic it reports,
and what it runs.

SageMaker endpoints report their work in different metrics depending on their kind, and bill
for different things; judging them all by ``Invocations`` per variant calls busy endpoints
idle. Each fact used here is from the AWS documentation cited beside it.

- Real-time variants: ``AWS/SageMaker`` ``Invocations`` with dimensions ``EndpointName`` and
  ``VariantName`` (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html,
  "Endpoint invocation metrics"). Multi-model and multi-container endpoints publish the same
  metric per endpoint and variant (the per-container series add ``TargetContainerHostname``);
  every series that names the endpoint counts.
- Inference components: ``AWS/SageMaker`` ``Invocations`` with the dimension
  ``InferenceComponentName`` (same page, "Inference component invocation metrics"); the
  components of an endpoint come from ListInferenceComponents
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceComponents.html).
- Asynchronous endpoints publish no ``Invocations`` at all; their work shows as
  ``InvocationsProcessed`` and their queue as ``ApproximateBacklogSize``, both with
  ``EndpointName`` (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html).
- What runs: DescribeEndpoint's ``CurrentInstanceCount`` per variant (0 under managed instance
  scaling with a minimum of 0 bills no instance), and ``CurrentServerlessConfig`` with its
  ``ProvisionedConcurrency`` (billed while idle; on-demand serverless is not)
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html,
  https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from govbot.inventory import SAGEMAKER_PAGE, MetricQuery, every, summary, whole
from govbot.kinds.base import (
    SAGEMAKER_BILLING,
    SAGEMAKER_GONE,
    SAGEMAKER_INDEX,
    CloudTrailCall,
    ResourceType,
    RestoreCommand,
    listed_arn,
    pick,
    sagemaker_tags,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from mypy_boto3_sagemaker.type_defs import (
        DescribeEndpointConfigOutputTypeDef,
        DescribeEndpointOutputTypeDef,
        EndpointSummaryTypeDef,
    )

    from govbot.inventory import RegionInventory

TYPE = "AWS::SageMaker::Endpoint"
NAMESPACE = "AWS/SageMaker"
# Each metric that says an endpoint did work, and the statistic that says how much.
TRAFFIC_METRICS = {
    "Invocations": "Sum",
    "InvocationsProcessed": "Sum",
    "ApproximateBacklogSize": "Maximum",
}

EndpointKind = Literal["real-time", "async", "inference-components", "serverless"]


@dataclass(frozen=True)
class Series:
    """One CloudWatch metric series that belongs to an endpoint."""

    metric: str
    dimensions: tuple[tuple[str, str], ...]

    @property
    def stat(self) -> str:
        return TRAFFIC_METRICS[self.metric]


class CannotJudge(Exception):
    """The endpoint's kind or traffic cannot be read: it is never proposed for deletion."""


class Variant(BaseModel):
    variant_name: str
    instance_type: str | None
    instance_count: int = Field(description="Instances running now (CurrentInstanceCount).")
    serverless: bool
    memory_mb: int | None = None
    provisioned_concurrency: int | None = None


class Shape(BaseModel):
    kind: EndpointKind
    variants: list[Variant]
    components: list[str] = Field(default_factory=list)

    @property
    def bills_while_idle(self) -> bool:
        return any(v.instance_count or v.provisioned_concurrency for v in self.variants)


def series_owner(
    dimensions: Mapping[str, str], component_endpoint: Mapping[str, str]
) -> str | None:
    """The endpoint a metric series belongs to, if any."""
    if "EndpointName" in dimensions:
        return dimensions["EndpointName"]
    component = dimensions.get("InferenceComponentName")
    return component_endpoint.get(component) if component else None


def read_shape(
    described: Mapping[str, Any],
    config: Mapping[str, Any],
    components: list[str],
) -> Shape:
    """The endpoint's kind and what each variant runs, from DescribeEndpoint, its config and
    its inference components; CannotJudge when the answers do not fit a kind govbot knows."""
    configured = {v["VariantName"]: v for v in config.get("ProductionVariants", [])}
    hosts_components = bool(components) or any(
        "InstanceType" in v and "ModelName" not in v for v in configured.values()
    )
    variants = []
    for v in described.get("ProductionVariants", []):
        name = v.get("VariantName")
        conf = configured.get(name)
        if conf is None:
            raise CannotJudge(
                f"variant {name} is not in endpoint config {config.get('EndpointConfigName')}"
            )
        serverless = v.get("CurrentServerlessConfig") or conf.get("ServerlessConfig")
        if serverless:
            variants.append(
                Variant(
                    variant_name=name,
                    instance_type=None,
                    instance_count=0,
                    serverless=True,
                    memory_mb=serverless.get("MemorySizeInMB"),
                    provisioned_concurrency=serverless.get("ProvisionedConcurrency") or 0,
                )
            )
        elif conf.get("InstanceType"):
            running = v.get("CurrentInstanceCount", conf.get("InitialInstanceCount"))
            if running is None:
                raise CannotJudge(f"variant {name} reports no instance count")
            variants.append(
                Variant(
                    variant_name=name,
                    instance_type=conf["InstanceType"],
                    instance_count=int(running),
                    serverless=False,
                )
            )
        else:
            raise CannotJudge(f"variant {name} has neither instances nor a serverless config")
    if not variants:
        raise CannotJudge("the endpoint reports no variants")
    kind: EndpointKind
    if config.get("AsyncInferenceConfig"):
        kind = "async"
    elif hosts_components:
        kind = "inference-components"
    elif all(v.serverless for v in variants):
        kind = "serverless"
    else:
        kind = "real-time"
    return Shape(kind=kind, variants=variants, components=sorted(components))


# -- reading endpoints ----------------------------------------------------------------------

# The fields of DescribeEndpoint that ListEndpoints' summary carries.
SUMMARY_KEYS = ("EndpointName", "EndpointArn", "CreationTime", "EndpointStatus")
AUTOSCALING_PAGE = 50


def _list_all(inv: RegionInventory) -> list[EndpointSummaryTypeDef]:
    return every(inv.clients.sagemaker(inv.region), "list_endpoints", "Endpoints", SAGEMAKER_PAGE)


def _by_ids(inv: RegionInventory, names: list[str]) -> list[EndpointSummaryTypeDef]:
    described = (describe(inv, n) for n in names)
    return [summary(d, SUMMARY_KEYS) for d in described if d]  # type: ignore[misc]


def describe(inv: RegionInventory, name: str) -> DescribeEndpointOutputTypeDef | None:
    """What DescribeEndpoint says of an endpoint, once per sweep, or None when it has gone
    since it was listed. A whole sweep takes it from the bulk Search over the endpoints in
    service where that names it (its record carries the config's name and each variant's
    counts and serverless settings, all a shape needs); a re-check asks DescribeEndpoint."""
    if inv.scope is None:
        record = searched(inv).get(name)
        if record is not None:
            return record  # type: ignore[no-any-return]
    return inv.described_once(  # type: ignore[return-value]
        ("endpoint", name), SAGEMAKER_GONE, "sagemaker", "describe_endpoint", {"EndpointName": name}
    )


def config(inv: RegionInventory, name: str) -> DescribeEndpointConfigOutputTypeDef:
    """DescribeEndpointConfig, once per config however many endpoints share it."""
    return inv.once(
        ("endpoint-config", name),
        lambda: inv.clients.sagemaker(inv.region).describe_endpoint_config(EndpointConfigName=name),
    )


def in_service_for(inv: RegionInventory, window: timedelta) -> list[EndpointSummaryTypeDef]:
    """Endpoints in service for at least the window: since creation, or since they came back
    into service (a clock learned from events)."""
    return [
        e
        for e in inv.listed(KIND)
        if e["EndpointStatus"] == "InService"
        and inv.older_than(inv.since(TYPE, e["EndpointName"], e["CreationTime"]), window)
    ]


def prefetch_shapes(inv: RegionInventory, names: Iterable[str]) -> None:
    """Describe many endpoints, then their configs (each config once), concurrently."""
    names = list(names)
    inv.prefetch(lambda n: describe(inv, n), names)
    configs = [d["EndpointConfigName"] for n in names if (d := _described(inv, n))]
    inv.prefetch(lambda c: config(inv, c), configs)


def _described(inv: RegionInventory, name: str) -> DescribeEndpointOutputTypeDef | None:
    try:
        return describe(inv, name)
    except ClientError:
        return None


def shape(inv: RegionInventory, name: str) -> Shape | None:
    """The endpoint's kind and what it runs (None: gone since it was listed). Raises
    CannotJudge when its config cannot be read or does not fit a known kind."""
    desc = describe(inv, name)
    if desc is None:
        return None
    try:
        conf = config(inv, desc["EndpointConfigName"])
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "error")
        raise CannotJudge(f"its endpoint config cannot be read ({code})") from err
    return read_shape(desc, conf, inference_components(inv).get(name, []))


def cost(inv: RegionInventory, endpoint: Shape) -> Cost:
    """What the endpoint bills while idle: instances running now, and provisioned concurrency
    of serverless variants; nothing for variants at zero."""
    costs = []
    for v in endpoint.variants:
        if v.serverless and v.provisioned_concurrency:
            costs.append(
                inv.pricer.serverless_provisioned(
                    v.memory_mb or 0, v.provisioned_concurrency, inv.region
                )
            )
        elif v.instance_type and v.instance_count:
            costs.append(
                inv.pricer.instances(
                    "sagemaker_hosting_hourly", v.instance_type, v.instance_count, inv.region
                )
            )
    if not costs:
        return Cost(0.0, "nothing runs while idle (no instances, no provisioned concurrency)")
    return Cost.total(costs)


def _running_cost(inv: RegionInventory, item: EndpointSummaryTypeDef) -> Cost:
    try:
        found = shape(inv, item["EndpointName"])
    except CannotJudge as why:
        return Cost(None, f"cannot price the endpoint: {why}")
    return cost(inv, found) if found else Cost(None, "endpoint no longer exists")


def inference_components(inv: RegionInventory) -> dict[str, list[str]]:
    """Inference component names by endpoint: one paginated listing per region (scoped: one
    per scoped endpoint)."""

    def read() -> dict[str, list[str]]:
        sagemaker = inv.clients.sagemaker(inv.region)
        listing = ("list_inference_components", "InferenceComponents", SAGEMAKER_PAGE)
        if inv.scope is not None:
            found = [
                c
                for name in inv.scoped_ids(TYPE)
                for c in every(sagemaker, *listing, EndpointNameEquals=name)
            ]
        else:
            found = every(sagemaker, *listing)
        by_endpoint: dict[str, list[str]] = {}
        for c in found:
            by_endpoint.setdefault(c["EndpointName"], []).append(c["InferenceComponentName"])
        return by_endpoint

    return inv.once("inference-components", read)


def traffic_series(inv: RegionInventory) -> dict[str, list[Series]]:
    """Every traffic series CloudWatch holds for each endpoint, from ListMetrics (500 a page,
    one listing per traffic metric): what the last two weeks could show. An endpoint with none
    served nothing for two weeks."""

    def read() -> dict[str, list[Series]]:
        component_endpoint = {
            c: endpoint for endpoint, cs in inference_components(inv).items() for c in cs
        }
        found: dict[str, list[Series]] = {}
        for metric in TRAFFIC_METRICS:
            for dims in inv.metric_series(NAMESPACE, metric):
                owner = series_owner(dict(dims), component_endpoint)
                if owner:
                    found.setdefault(owner, []).append(Series(metric, dims))
        return found

    return inv.once("endpoint-traffic-series", read)


def traffic(inv: RegionInventory, series: list[Series], window: timedelta) -> dict[Series, float]:
    """Each series' total over the window (its peak, for a backlog), 500 to a call."""
    values = inv.metric_values(
        [MetricQuery(NAMESPACE, s.metric, s.dimensions, s.stat, whole(window)) for s in series],
        window,
    )
    return {
        s: (max(v, default=0.0) if s.stat == "Maximum" else sum(v))
        for s, v in zip(series, values, strict=True)
    }


def searched(inv: RegionInventory) -> dict[str, Any]:
    """Every endpoint in service as SageMaker Search returns it, by name, instead of a
    DescribeEndpoint each."""
    return inv.searched("Endpoint", "EndpointName", "EndpointStatus", "InService")


def instance_counts(inv: RegionInventory) -> dict[str, dict[str, int]]:
    """Instances running per variant of every endpoint in service, in bulk: SageMaker Search
    over endpoints (100 a page) carries what DescribeEndpoint would, one call for a hundred
    endpoints; scoped, from the describes the re-check makes anyway."""

    def read() -> dict[str, dict[str, int]]:
        found: Iterable[Any]
        if inv.scope is not None:
            found = (d for d in (describe(inv, n) for n in inv.scoped_ids(TYPE)) if d)
        else:
            found = searched(inv).values()
        return {
            e["EndpointName"]: {
                v["VariantName"]: v.get("CurrentInstanceCount", 0)
                for v in e.get("ProductionVariants", [])
            }
            for e in found
        }

    return inv.once("endpoint-instance-counts", read)


def autoscaled_variants(inv: RegionInventory) -> set[tuple[str, str]]:
    """(endpoint, variant) pairs with an Application Auto Scaling target: their instance count
    is the scaling policy's to set. One paginated listing per region, 50 a page."""

    def read() -> set[tuple[str, str]]:
        pages = (
            inv.clients.client("application-autoscaling", inv.region)
            .get_paginator("describe_scalable_targets")
            .paginate(ServiceNamespace="sagemaker", PaginationConfig={"PageSize": AUTOSCALING_PAGE})
        )
        found = set()
        for page in pages:
            for t in page["ScalableTargets"]:
                parts = t["ResourceId"].split("/")  # endpoint/NAME/variant/VARIANT
                if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant":
                    found.add((parts[1], parts[3]))
        return found

    return inv.once("autoscaled-variants", read)


KIND = ResourceType(
    service="sagemaker",
    type=TYPE,
    kind="endpoint",
    aliases=("sagemaker-endpoint",),
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint"),
    id_of=pick("EndpointName"),
    arn_of=listed_arn("EndpointArn"),
    tags=SAGEMAKER_INDEX,
    billed_as=SAGEMAKER_BILLING,
    gone_codes=SAGEMAKER_GONE,
    add_tags=sagemaker_tags,
    running_cost=_running_cost,
    # Pricing an endpoint takes describes: all of them at once.
    prefetch=lambda inv, items: prefetch_shapes(inv, (e["EndpointName"] for e in items)),
    cloudtrail={
        "sagemaker:CreateEndpoint": CloudTrailCall(
            (("request", "endpointName"),), ("untagged-resource",)
        )
    },
    restore=RestoreCommand(
        "NAME",
        "Endpoint name.",
        "Undo govbot's latest fix of an endpoint: recreate it if deleted (config, tags, "
        "inference components), or set its instance counts back if scaled in.",
    ),
)
