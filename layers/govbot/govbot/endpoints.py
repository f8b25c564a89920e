"""What kind of SageMaker endpoint something is, what traffic it reports, and what it runs.

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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

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
