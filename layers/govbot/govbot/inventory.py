"""What one region holds, read once and shared by every detector of a sweep.

Each lookup is made at most once per sweep, with the page sizes AWS documents, and in bulk
where a bulk call exists; describes are made only for the resources a detector asks about.
Detectors run concurrently over one inventory: each lookup is computed once whichever detector
asks first (the others wait for it), and describes of many resources run in a bounded pool.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from govbot import studio
from govbot.aws import AwsClients, new_session, partition
from govbot.endpoints import NAMESPACE as ENDPOINT_NAMESPACE
from govbot.endpoints import (
    TRAFFIC_METRICS,
    CannotJudge,
    Series,
    Shape,
    read_shape,
    series_owner,
)
from govbot.pricing import Cost, Pricer

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import InstanceTypeDef, VolumeTypeDef
    from mypy_boto3_logs.type_defs import LogGroupTypeDef
    from mypy_boto3_sagemaker.type_defs import (
        DescribeEndpointConfigOutputTypeDef,
        DescribeEndpointOutputTypeDef,
        DescribeTrainingJobResponseTypeDef,
        EndpointSummaryTypeDef,
        NotebookInstanceSummaryTypeDef,
        TrainingJobSummaryTypeDef,
    )

# Documented maximum page sizes.
SAGEMAKER_PAGE = 100
TAGGING_PAGE = 100
LOGS_PAGE = 50
EC2_VOLUMES_PAGE = 500
EC2_INSTANCES_PAGE = 1000
EC2_SNAPSHOTS_PAGE = 1000
METRIC_QUERIES_PER_CALL = 500
BEDROCK_PAGE = 1000
CLOUDTRAIL_PAGE = 50
AUTOSCALING_PAGE = 50
INSTANCE_TYPES_PAGE = 100  # instance-type filter values per DescribeInstanceTypes
PROVISIONED_THROUGHPUT = "AWS::Bedrock::ProvisionedModelThroughput"

# Resource types whose tags come from one paginated Resource Groups Tagging API call. Training
# jobs are left out on purpose: the API would page through every job ever run, while only the
# few in progress matter, so their tags are read by ARN, 100 to a GetResources call.
TAG_INDEX_FILTERS = {
    "sagemaker": ["sagemaker:endpoint", "sagemaker:notebook-instance"],
    "logs": ["logs"],
}

# Describes of many resources (endpoints, their configs, training jobs) at once, per service:
# well under SageMaker's request rates, with the clients' adaptive retries behind them.
DESCRIBE_CONCURRENCY = 8

T = TypeVar("T")


class Once:
    """Values computed at most once per key, whichever thread asks first; the others wait for
    it. A computation that raises stores nothing (the next asker tries again, as a serial
    sweep would)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._values[key] = value
            return value


def shared(method: Callable[[Any], T]) -> T:
    """A cached property safe to read from several threads: computed once per inventory."""

    @wraps(method)
    def get(self: Any) -> T:
        return self._once.get(method.__name__, lambda: method(self))  # type: ignore[no-any-return]

    return property(get)  # type: ignore[return-value]


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch series and the statistic wanted of it, per period."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int


@dataclass(frozen=True)
class InstanceShape:
    """What an instance type computes with, as EC2 describes it."""

    vcpus: int
    gpus: int
    other_accelerators: bool  # Inferentia, Trainium or Elastic Inference


def whole(window: timedelta) -> int:
    """One CloudWatch period spanning the window (periods are whole minutes)."""
    return max(60, int(window.total_seconds()) // 60 * 60)


NOT_FOUND_CODES = {"ValidationException", "ResourceNotFound", "ResourceNotFoundException"}


def is_not_found(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") in NOT_FOUND_CODES


def tags_to_dict(tags: Iterable[Any] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or ()}


class RegionInventory:
    def __init__(
        self,
        clients: AwsClients,
        region: str,
        account_id: str,
        now: datetime,
        pricer: Pricer,
        scope: dict[str, set[str]] | None = None,
        clocks: dict[tuple[str, str], datetime] | None = None,
    ) -> None:
        """``scope`` (resource type -> ids) limits every listing to those resources, read with
        describe calls: the engine's re-check before acting runs the detectors on just them."""
        self.clients = clients
        self.scope = scope
        # When waste started for resources whose API dates do not say (a volume's detach, an
        # endpoint's return to InService), as learned from events by the realtime function.
        self.clocks = clocks or {}
        self.region = region
        self.account_id = account_id
        self.now = now
        self.pricer = pricer
        self._once = Once()
        self._describing = threading.BoundedSemaphore(DESCRIBE_CONCURRENCY)

    def prefetch(self, lookup: Callable[[Any], Any], keys: Iterable[Any]) -> None:
        """Run a per-resource lookup (``self.endpoint``, ``self.training_job`` ...) for many
        resources at once, at most DESCRIBE_CONCURRENCY in flight; each result is kept as the
        lookup keeps it, and an error is left for the detector to meet when it asks."""
        todo = list(dict.fromkeys(keys))
        if len(todo) < 2:
            return

        def one(key: Any) -> None:
            # An error is met again, and handled, when the detector asks for the key.
            with self._describing, contextlib.suppress(Exception):
                lookup(key)

        with ThreadPoolExecutor(max_workers=DESCRIBE_CONCURRENCY) as pool:
            list(pool.map(one, todo))

    def older_than(self, when: datetime, delta: timedelta) -> bool:
        return when <= self.now - delta

    def clock(self, resource_type: str, resource_id: str) -> datetime | None:
        return self.clocks.get((resource_type, resource_id))

    def since(self, resource_type: str, resource_id: str, api_date: datetime) -> datetime:
        """When the waste clock started: the API's date, or a later one learned from events."""
        clock = self.clocks.get((resource_type, resource_id))
        return max(api_date, clock) if clock else api_date

    # -- tags -----------------------------------------------------------------------------

    def tags(self, arn: str) -> dict[str, str]:
        """Tags of a resource; a resource that never had a tag has ``{}``."""
        if ":training-job/" in arn:
            return self.training_job_tags.get(_arn_key(arn), {})
        family = arn.split(":")[2]
        if family not in TAG_INDEX_FILTERS:
            raise ValueError(f"no tag source for {arn}")
        index = self._once.get(("tags", family), lambda: self._tag_index(family))
        return index.get(_arn_key(arn), {})

    def _tag_index(self, family: str) -> dict[str, dict[str, str]]:
        """Tags of a whole family in bulk: every tagged resource of its types, or, scoped, just
        the scoped resources by ARN (100 to a call)."""
        tagging = self.clients.tagging(self.region)
        if self.scope is None:
            pages: Iterable[Any] = tagging.get_paginator("get_resources").paginate(
                ResourceTypeFilters=TAG_INDEX_FILTERS[family],
                PaginationConfig={"PageSize": TAGGING_PAGE},
            )
            return _tag_map(pages)
        return self._tags_by_arn(self._scoped_arns(family))

    def _tags_by_arn(self, arns: list[str]) -> dict[str, dict[str, str]]:
        """Tags of known resources, 100 ARNs to a GetResources call (an untagged resource is
        simply absent from the answer)."""
        tagging = self.clients.tagging(self.region)
        return _tag_map(
            tagging.get_resources(ResourceARNList=arns[i : i + TAGGING_PAGE])
            for i in range(0, len(arns), TAGGING_PAGE)
        )

    @shared
    def training_job_tags(self) -> dict[str, dict[str, str]]:
        """Tags of the training jobs in progress, by ARN, in bulk."""
        return self._tags_by_arn([j["TrainingJobArn"] for j in self.training_jobs_in_progress])

    def _scoped_arns(self, family: str) -> list[str]:
        if family == "logs":
            return [log_group_arn(g) for g in self.log_groups]
        return [e["EndpointArn"] for e in self.endpoints] + [
            n["NotebookInstanceArn"] for n in self.notebook_instances
        ]

    def scoped_ids(self, resource_type: str) -> list[str]:
        return sorted((self.scope or {}).get(resource_type, ()))

    # -- SageMaker endpoints --------------------------------------------------------------

    @shared
    def endpoints(self) -> list[EndpointSummaryTypeDef]:
        if self.scope is not None:
            described = (self.endpoint(n) for n in self.scoped_ids("AWS::SageMaker::Endpoint"))
            return [_summary(d, EndpointSummaryKeys) for d in described if d]  # type: ignore[misc]
        return _every(
            self.clients.sagemaker(self.region), "list_endpoints", "Endpoints", SAGEMAKER_PAGE
        )

    def endpoints_in_service_for(self, window: timedelta) -> list[EndpointSummaryTypeDef]:
        """Endpoints in service for at least the window: since creation, or since they came
        back into service (a clock learned from events)."""
        return [
            e
            for e in self.endpoints
            if e["EndpointStatus"] == "InService"
            and self.older_than(
                self.since("AWS::SageMaker::Endpoint", e["EndpointName"], e["CreationTime"]),
                window,
            )
        ]

    def endpoint(self, name: str) -> DescribeEndpointOutputTypeDef | None:
        """DescribeEndpoint, or None when the endpoint has gone since it was listed."""

        def describe() -> DescribeEndpointOutputTypeDef | None:
            try:
                return self.clients.sagemaker(self.region).describe_endpoint(EndpointName=name)
            except ClientError as err:
                if not is_not_found(err):
                    raise
                return None

        return self._once.get(("endpoint", name), describe)

    def endpoint_config(self, name: str) -> DescribeEndpointConfigOutputTypeDef:
        """DescribeEndpointConfig, once per config however many endpoints share it."""
        return self._once.get(
            ("endpoint-config", name),
            lambda: self.clients.sagemaker(self.region).describe_endpoint_config(
                EndpointConfigName=name
            ),
        )

    def prefetch_endpoint_shapes(self, names: Iterable[str]) -> None:
        """Describe many endpoints, then their configs (each config once), concurrently."""
        names = list(names)
        self.prefetch(self.endpoint, names)
        configs = [d["EndpointConfigName"] for n in names if (d := self._described(n))]
        self.prefetch(self.endpoint_config, configs)

    def _described(self, name: str) -> DescribeEndpointOutputTypeDef | None:
        try:
            return self.endpoint(name)
        except ClientError:
            return None

    def endpoint_shape(self, name: str) -> Shape | None:
        """The endpoint's kind and what it runs (None: gone since it was listed). Raises
        CannotJudge when its config cannot be read or does not fit a known kind."""
        desc = self.endpoint(name)
        if desc is None:
            return None
        try:
            config = self.endpoint_config(desc["EndpointConfigName"])
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "error")
            raise CannotJudge(f"its endpoint config cannot be read ({code})") from err
        return read_shape(desc, config, self.inference_components.get(name, []))

    def endpoint_cost(self, shape: Shape) -> Cost:
        """What the endpoint bills while idle: instances running now, and provisioned
        concurrency of serverless variants; nothing for variants at zero."""
        costs = []
        for v in shape.variants:
            if v.serverless and v.provisioned_concurrency:
                costs.append(
                    self.pricer.serverless_provisioned(
                        v.memory_mb or 0, v.provisioned_concurrency, self.region
                    )
                )
            elif v.instance_type and v.instance_count:
                costs.append(
                    self.pricer.instances(
                        "sagemaker_hosting_hourly", v.instance_type, v.instance_count, self.region
                    )
                )
        if not costs:
            return Cost(0.0, "nothing runs while idle (no instances, no provisioned concurrency)")
        return Cost.total(costs)

    @shared
    def inference_components(self) -> dict[str, list[str]]:
        """Inference component names by endpoint: one paginated listing per region (scoped:
        one per scoped endpoint)."""
        sagemaker = self.clients.sagemaker(self.region)
        if self.scope is not None:
            found = [
                c
                for name in self.scoped_ids("AWS::SageMaker::Endpoint")
                for c in _every(
                    sagemaker,
                    "list_inference_components",
                    "InferenceComponents",
                    SAGEMAKER_PAGE,
                    EndpointNameEquals=name,
                )
            ]
        else:
            found = _every(
                sagemaker, "list_inference_components", "InferenceComponents", SAGEMAKER_PAGE
            )
        by_endpoint: dict[str, list[str]] = {}
        for c in found:
            by_endpoint.setdefault(c["EndpointName"], []).append(c["InferenceComponentName"])
        return by_endpoint

    @shared
    def endpoint_traffic_series(self) -> dict[str, list[Series]]:
        """Every traffic series CloudWatch holds for each endpoint, from ListMetrics (500 a
        page, one listing per traffic metric): what the last two weeks could show. An endpoint
        with none served nothing for two weeks."""
        component_endpoint = {
            c: endpoint for endpoint, cs in self.inference_components.items() for c in cs
        }
        found: dict[str, list[Series]] = {}
        for metric in TRAFFIC_METRICS:
            for dims in self.metric_series(ENDPOINT_NAMESPACE, metric):
                owner = series_owner(dict(dims), component_endpoint)
                if owner:
                    found.setdefault(owner, []).append(Series(metric, dims))
        return found

    def traffic(self, series: list[Series], window: timedelta) -> dict[Series, float]:
        """Each series' total over the window (its peak, for a backlog), 500 to a call."""
        values = self.metric_values(
            [
                MetricQuery(ENDPOINT_NAMESPACE, s.metric, s.dimensions, s.stat, whole(window))
                for s in series
            ],
            window,
        )
        return {
            s: (max(v, default=0.0) if s.stat == "Maximum" else sum(v))
            for s, v in zip(series, values, strict=True)
        }

    def metric_values(self, queries: list[MetricQuery], window: timedelta) -> list[list[float]]:
        """The datapoints of each query over the window ending now, in the queries' order:
        GetMetricData, 500 queries to a call (its documented maximum)."""
        cloudwatch = self.clients.cloudwatch(self.region)
        found: list[list[float]] = [[] for _ in queries]
        for start in range(0, len(queries), METRIC_QUERIES_PER_CALL):
            batch = queries[start : start + METRIC_QUERIES_PER_CALL]
            asked: list[Any] = [
                {
                    "Id": f"q{i}",
                    "ReturnData": True,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": q.namespace,
                            "MetricName": q.metric,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions],
                        },
                        "Period": q.period,
                        "Stat": q.stat,
                    },
                }
                for i, q in enumerate(batch)
            ]
            paginator = cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(
                MetricDataQueries=asked, StartTime=self.now - window, EndTime=self.now
            ):
                for result in page["MetricDataResults"]:
                    found[start + int(result["Id"][1:])].extend(result.get("Values", []))
        return found

    def metric_series(self, namespace: str, metric: str) -> list[tuple[tuple[str, str], ...]]:
        """The dimensions of every series of a metric CloudWatch holds (ListMetrics, 500 a
        page), once per sweep."""

        def listing() -> list[tuple[tuple[str, str], ...]]:
            paginator = self.clients.cloudwatch(self.region).get_paginator("list_metrics")
            # Each series once, however often a listing repeats it (each one asked is billed).
            return list(
                dict.fromkeys(
                    tuple(sorted((d["Name"], d["Value"]) for d in m.get("Dimensions", [])))
                    for page in paginator.paginate(Namespace=namespace, MetricName=metric)
                    for m in page["Metrics"]
                )
            )

        return self._once.get(("metric-series", namespace, metric), listing)

    @shared
    def instance_counts(self) -> dict[str, dict[str, int]]:
        """Instances running per variant of every endpoint in service, in bulk: SageMaker
        Search over endpoints (100 a page) carries what DescribeEndpoint would, one call for
        a hundred endpoints; scoped, from the describes the re-check makes anyway."""
        if self.scope is not None:
            described = (self.endpoint(n) for n in self.scoped_ids("AWS::SageMaker::Endpoint"))
            found: Iterable[Any] = (d for d in described if d)
        else:
            pages = (
                self.clients.sagemaker(self.region)
                .get_paginator("search")
                .paginate(
                    Resource="Endpoint",
                    SearchExpression={
                        "Filters": [
                            {"Name": "EndpointStatus", "Operator": "Equals", "Value": "InService"}
                        ]
                    },
                    PaginationConfig={"PageSize": SAGEMAKER_PAGE},
                )
            )
            found = (r["Endpoint"] for page in pages for r in page["Results"] if "Endpoint" in r)
        return {
            e["EndpointName"]: {
                v["VariantName"]: v.get("CurrentInstanceCount", 0)
                for v in e.get("ProductionVariants", [])
            }
            for e in found
        }

    @shared
    def autoscaled_variants(self) -> set[tuple[str, str]]:
        """(endpoint, variant) pairs with an Application Auto Scaling target: their instance
        count is the scaling policy's to set. One paginated listing per region, 50 a page."""
        pages = (
            self.clients.client("application-autoscaling", self.region)
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

    def instance_shapes(self, instance_types: Iterable[str]) -> dict[str, InstanceShape]:
        """vCPUs and accelerators of each (ml.) instance type, from EC2 DescribeInstanceTypes
        (the ml. types run on the EC2 type of the same name), 100 types to a call; a type EC2
        does not know is absent."""
        wanted = sorted({t.removeprefix("ml.") for t in instance_types})

        def read() -> dict[str, InstanceShape]:
            ec2 = self.clients.ec2(self.region)
            shapes: dict[str, InstanceShape] = {}
            for i in range(0, len(wanted), INSTANCE_TYPES_PAGE):
                batch = wanted[i : i + INSTANCE_TYPES_PAGE]
                pages = ec2.get_paginator("describe_instance_types").paginate(
                    Filters=[{"Name": "instance-type", "Values": batch}]
                )
                for page in pages:
                    for t in page["InstanceTypes"]:
                        shapes[t["InstanceType"]] = InstanceShape(
                            vcpus=t["VCpuInfo"]["DefaultVCpus"],
                            gpus=sum(
                                g.get("Count", 0) for g in t.get("GpuInfo", {}).get("Gpus", [])
                            ),
                            other_accelerators=bool(
                                t.get("InferenceAcceleratorInfo") or t.get("NeuronInfo")
                            ),
                        )
            return shapes

        by_base = self._once.get(("instance-types", tuple(wanted)), read)
        return {
            t: by_base[t.removeprefix("ml.")]
            for t in instance_types
            if t.removeprefix("ml.") in by_base
        }

    # -- SageMaker training jobs and notebooks --------------------------------------------

    @shared
    def training_jobs_in_progress(self) -> list[TrainingJobSummaryTypeDef]:
        if self.scope is not None:
            described = (
                self.training_job(n) for n in self.scoped_ids("AWS::SageMaker::TrainingJob")
            )
            return [
                _summary(d, TrainingJobSummaryKeys)  # type: ignore[misc]
                for d in described
                if d and d["TrainingJobStatus"] == "InProgress"
            ]
        return _every(
            self.clients.sagemaker(self.region),
            "list_training_jobs",
            "TrainingJobSummaries",
            SAGEMAKER_PAGE,
            StatusEquals="InProgress",
        )

    def training_job(self, name: str) -> DescribeTrainingJobResponseTypeDef | None:
        def describe() -> DescribeTrainingJobResponseTypeDef | None:
            try:
                return self.clients.sagemaker(self.region).describe_training_job(
                    TrainingJobName=name
                )
            except ClientError as err:
                if not is_not_found(err):
                    raise
                return None

        return self._once.get(("training-job", name), describe)

    def training_job_cost(self, job: DescribeTrainingJobResponseTypeDef) -> Cost:
        rc = job.get("ResourceConfig", {})
        instance_type, count = rc.get("InstanceType"), rc.get("InstanceCount", 1)
        if not instance_type:
            # Heterogeneous clusters list instance groups instead of one type.
            groups = rc.get("InstanceGroups", [])
            return (
                Cost.total(
                    self.pricer.instances(
                        "sagemaker_training_hourly",
                        g["InstanceType"],
                        g["InstanceCount"],
                        self.region,
                    )
                    for g in groups
                )
                if groups
                else Cost(None, "training job reports no instance type")
            )
        return self.pricer.instances("sagemaker_training_hourly", instance_type, count, self.region)

    @shared
    def notebook_instances(self) -> list[NotebookInstanceSummaryTypeDef]:
        if self.scope is not None:
            found = []
            sagemaker = self.clients.sagemaker(self.region)
            for name in self.scoped_ids("AWS::SageMaker::NotebookInstance"):
                try:
                    desc = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
                except ClientError as err:
                    if not is_not_found(err):
                        raise
                    continue
                found.append(_summary(desc, NotebookSummaryKeys))
            return found  # type: ignore[return-value]
        return _every(
            self.clients.sagemaker(self.region),
            "list_notebook_instances",
            "NotebookInstances",
            SAGEMAKER_PAGE,
        )

    def api_calls_since(self, event_name: str, since: datetime) -> list[dict[str, Any]]:
        """Each call of ``event_name`` in the region since then, from CloudTrail's event
        history (management events, 90 days): (time, request parameters), 50 a page, one
        paginated lookup per event name (LookupEvents takes one attribute a call)."""

        def lookup() -> list[dict[str, Any]]:
            paginator = self.clients.client("cloudtrail", self.region).get_paginator(
                "lookup_events"
            )
            found = []
            for page in paginator.paginate(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}],
                StartTime=since,
                EndTime=self.now,
                PaginationConfig={"PageSize": CLOUDTRAIL_PAGE},
            ):
                for e in page.get("Events", []):
                    try:
                        request = json.loads(e.get("CloudTrailEvent") or "{}").get(
                            "requestParameters"
                        )
                    except ValueError:
                        request = None
                    found.append({"at": e["EventTime"], "request": request or {}})
            return found

        return self._once.get(("api-calls", event_name, since), lookup)

    # -- SageMaker Studio -----------------------------------------------------------------

    @shared
    def studio_apps(self) -> list[dict[str, Any]]:
        """Studio apps, 100 a page (ListApps covers every domain), only where a domain is;
        scoped, each described."""
        if self.scope is not None:
            found = (self.studio_app(i) for i in self.scoped_ids(studio.APP))
            return [a for a in found if a]
        if not self.studio_domains:
            return []
        return _every(self.clients.sagemaker(self.region), "list_apps", "Apps", SAGEMAKER_PAGE)

    def studio_app(self, resource_id: str) -> dict[str, Any] | None:
        """DescribeApp (its last user activity), or None when the app is gone."""
        return self._described_once(
            ("studio-app", resource_id), "describe_app", studio.app_key(resource_id)
        )

    @shared
    def studio_domains(self) -> list[dict[str, Any]]:
        """Studio domains, each described (their default settings): a listing of 100 a page
        and a describe each; scoped, just the scoped ones."""
        sagemaker = self.clients.sagemaker(self.region)
        if self.scope is not None:
            ids = self.scoped_ids(studio.DOMAIN)
        else:
            ids = [
                d["DomainId"] for d in _every(sagemaker, "list_domains", "Domains", SAGEMAKER_PAGE)
            ]
        return self._describe_all(
            [(("studio-domain", i), "describe_domain", {"DomainId": i}) for i in ids]
        )

    @shared
    def studio_user_profiles(self) -> list[dict[str, Any]]:
        """User profiles with their settings: no bulk read carries settings, so each is
        described (concurrently), and only where a domain exists."""
        return self._studio_owners(studio.USER_PROFILE, "user_profile", "UserProfiles")

    @shared
    def studio_spaces(self) -> list[dict[str, Any]]:
        """Spaces with their settings, described like user profiles."""
        return self._studio_owners(studio.SPACE, "space", "Spaces")

    def _studio_owners(self, rtype: str, noun: str, listed: str) -> list[dict[str, Any]]:
        name_key = "UserProfileName" if rtype == studio.USER_PROFILE else "SpaceName"
        if self.scope is not None:
            keys = [studio.owner_key(i) for i in self.scoped_ids(rtype)]
            names = [(k["DomainId"], k["Name"]) for k in keys]
        elif not self.studio_domains:
            return []
        else:
            summaries = _every(
                self.clients.sagemaker(self.region), f"list_{noun}s", listed, SAGEMAKER_PAGE
            )
            names = [(s["DomainId"], s[name_key]) for s in summaries]
        return self._describe_all(
            [((noun, d, n), f"describe_{noun}", {"DomainId": d, name_key: n}) for d, n in names]
        )

    def _described_once(
        self, key: tuple[str, ...], operation: str, params: dict[str, str]
    ) -> dict[str, Any] | None:
        """One SageMaker describe, once per sweep; None when the resource is gone."""

        def describe() -> dict[str, Any] | None:
            try:
                answer = getattr(self.clients.sagemaker(self.region), operation)(**params)
            except ClientError as err:
                if not is_not_found(err):
                    raise
                return None
            answer.pop("ResponseMetadata", None)
            return answer  # type: ignore[no-any-return]

        return self._once.get(key, describe)

    def _describe_all(
        self, asks: list[tuple[tuple[str, ...], str, dict[str, str]]]
    ) -> list[dict[str, Any]]:
        """Many describes, DESCRIBE_CONCURRENCY at a time; the gone are left out."""
        by_key = {key: (op, params) for key, op, params in asks}
        self.prefetch(lambda k: self._described_once(k, *by_key[k]), list(by_key))
        found = (self._described_once(key, op, params) for key, op, params in asks)
        return [d for d in found if d]

    def sagemaker_tags(self, arn: str) -> dict[str, str]:
        """A SageMaker resource's tags, one ListTags each: asked only for the few Studio
        resources found, which the Resource Groups Tagging API is not relied on to cover."""

        def read() -> dict[str, str]:
            paginator = self.clients.sagemaker(self.region).get_paginator("list_tags")
            return {
                t["Key"]: t.get("Value", "")
                for page in paginator.paginate(ResourceArn=arn, PaginationConfig={"PageSize": 100})
                for t in page.get("Tags", [])
            }

        return self._once.get(("sagemaker-tags", arn), read)

    # -- EC2 ------------------------------------------------------------------------------

    @shared
    def volumes(self) -> list[VolumeTypeDef]:
        if self.scope is not None:
            ids = self.scoped_ids("AWS::EC2::Volume")
            if not ids:
                return []
            # A filter, not VolumeIds: a volume gone since the sweep is simply absent.
            return _every(
                self.clients.ec2(self.region),
                "describe_volumes",
                "Volumes",
                EC2_VOLUMES_PAGE,
                Filters=[{"Name": "volume-id", "Values": ids}],
            )
        return _every(
            self.clients.ec2(self.region), "describe_volumes", "Volumes", EC2_VOLUMES_PAGE
        )

    def volume_cost(self, v: VolumeTypeDef) -> Cost:
        return self.pricer.ebs_volume(
            v["VolumeType"], v["Size"], self.region, v.get("Iops"), v.get("Throughput")
        )

    @shared
    def govbot_snapshots(self) -> list[Any]:
        """Snapshots govbot took before deleting a volume (tagged with their keep date), 1,000
        a page; scoped, by id (a filter, so one deleted since is simply absent)."""
        filters: list[Any] = [{"Name": "tag-key", "Values": ["govbot:expires-on"]}]
        if self.scope is not None:
            ids = self.scoped_ids("AWS::EC2::Snapshot")
            if not ids:
                return []
            filters.append({"Name": "snapshot-id", "Values": ids})
        return _every(
            self.clients.ec2(self.region),
            "describe_snapshots",
            "Snapshots",
            EC2_SNAPSHOTS_PAGE,
            OwnerIds=["self"],
            Filters=filters,
        )

    @shared
    def instances(self) -> list[InstanceTypeDef]:
        paginator = self.clients.ec2(self.region).get_paginator("describe_instances")
        states = ["pending", "running", "stopping", "stopped"]
        filters: list[Any] = [{"Name": "instance-state-name", "Values": states}]
        if self.scope is not None:
            ids = self.scoped_ids("AWS::EC2::Instance")
            if not ids:
                return []
            filters.append({"Name": "instance-id", "Values": ids})
        return [
            i
            for page in paginator.paginate(
                Filters=filters, PaginationConfig={"PageSize": EC2_INSTANCES_PAGE}
            )
            for r in page["Reservations"]
            for i in r["Instances"]
        ]

    # -- Bedrock --------------------------------------------------------------------------

    @shared
    def provisioned_throughputs(self) -> list[Any]:
        """Bedrock provisioned model throughputs, 1,000 a page (none where Bedrock is not
        offered); scoped, each by name."""
        if self.region not in _bedrock_regions(partition(self.region)):
            return []
        bedrock = self.clients.client("bedrock", self.region)
        if self.scope is None:
            return _every(
                bedrock,
                "list_provisioned_model_throughputs",
                "provisionedModelSummaries",
                BEDROCK_PAGE,
            )
        found = []
        for name in self.scoped_ids(PROVISIONED_THROUGHPUT):
            try:
                found.append(bedrock.get_provisioned_model_throughput(provisionedModelId=name))
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
        return found

    def bedrock_tags(self, arn: str) -> dict[str, str]:
        """A Bedrock resource's tags: one call each (asked only for the few found idle)."""

        def read() -> dict[str, str]:
            answer = self.clients.client("bedrock", self.region).list_tags_for_resource(
                resourceARN=arn
            )
            return {t["key"]: t.get("value", "") for t in answer.get("tags", [])}

        return self._once.get(("bedrock-tags", arn), read)

    # -- CloudWatch Logs ------------------------------------------------------------------

    @shared
    def log_groups(self) -> list[LogGroupTypeDef]:
        if self.scope is not None:
            logs = self.clients.logs(self.region)
            return [
                g
                for name in self.scoped_ids("AWS::Logs::LogGroup")
                for g in logs.describe_log_groups(logGroupNamePrefix=name, limit=LOGS_PAGE)[
                    "logGroups"
                ]
                if g["logGroupName"] == name
            ]
        return _every(self.clients.logs(self.region), "describe_log_groups", "logGroups", LOGS_PAGE)

    # -- ARNs -----------------------------------------------------------------------------

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{partition(self.region)}:{service}:{self.region}:{self.account_id}:{resource}"


# The fields of a describe answer that its listing's summary carries.
EndpointSummaryKeys = ("EndpointName", "EndpointArn", "CreationTime", "EndpointStatus")
TrainingJobSummaryKeys = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingJobStatus")
NotebookSummaryKeys = (
    "NotebookInstanceName",
    "NotebookInstanceArn",
    "NotebookInstanceStatus",
    "InstanceType",
    "CreationTime",
    "LastModifiedTime",
)


def _summary(described: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: described[k] for k in keys if k in described}


def _every(client: Any, operation: str, key: str, page_size: int, **params: Any) -> list[Any]:
    """Every item of a paginated listing, at the given page size."""
    pages = client.get_paginator(operation).paginate(
        PaginationConfig={"PageSize": page_size}, **params
    )
    return [item for page in pages for item in page[key]]


def _tag_map(pages: Iterable[Any]) -> dict[str, dict[str, str]]:
    return {
        _arn_key(item["ResourceARN"]): tags_to_dict(item.get("Tags"))
        for page in pages
        for item in page.get("ResourceTagMappingList", [])
    }


def log_group_arn(group: LogGroupTypeDef) -> str:
    # describe_log_groups gives ``arn`` ending in ":*"; newer answers add ``logGroupArn``.
    return group.get("logGroupArn") or group["arn"].removesuffix(":*")


@cache
def _bedrock_regions(partition_name: str) -> frozenset[str]:
    """Where Bedrock is offered, as botocore's endpoint data says."""

    return frozenset(new_session().get_available_regions("bedrock", partition_name))


def _arn_key(arn: str) -> str:
    # SageMaker lower-cases names in its ARNs and log group ARNs may end in ":*".
    return arn.removesuffix(":*").lower()
