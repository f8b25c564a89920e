"""What one region holds, read once and shared by every detector of a sweep.

The machinery every kind of resource shares: each lookup is made at most once per sweep (the
kinds' listings, describes, tags, metrics, CloudTrail history), with the page sizes AWS
documents, and in bulk where a bulk call exists; describes are made only for the resources a
detector asks about. What to read for a kind is the kind's (govbot.kinds); whether to read all
of them or just a re-check's scope is decided here, once, for every kind. Detectors run
concurrently over one inventory: each lookup is computed once whichever detector asks first
(the others wait for it), and describes of many resources run in a bounded pool.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from botocore.exceptions import ClientError

from govbot.aws import AwsClients, partition
from govbot.pricing.pricer import Pricer

log = logging.getLogger(__name__)

# Documented maximum page sizes shared by several kinds (each kind keeps its own).
SAGEMAKER_PAGE = 100
SearchedResource = Literal["Endpoint", "TrainingJob"]  # what the sweep reads by Search
TAGGING_PAGE = 100
METRIC_QUERIES_PER_CALL = 500
CLOUDTRAIL_PAGE = 50
INSTANCE_TYPES_PAGE = 100  # instance-type filter values per DescribeInstanceTypes

# Describes of many resources (endpoint configs above all: Search cannot say an instance type)
# at once, per region. 16 in flight halves the longest chain of a large region's sweep
# against 8 (benchmarks/results.md); SageMaker publishes no rate for its describes, so a
# throttle is met by the clients' adaptive retries, which slow the client down, and a
# describe that still fails is asked again, alone, when its detector reads it.
DESCRIBE_CONCURRENCY = 16

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


def tags_to_dict(tags: Iterable[Any] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or ()}


class Kind(Protocol):
    """What the inventory needs of a kind of resource (govbot.kinds.base.ResourceType)."""

    @property
    def type(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def service(self) -> str | None: ...

    def list_all(self, inv: RegionInventory, /) -> list[Any]: ...
    def by_ids(self, inv: RegionInventory, ids: list[str], /) -> list[Any]: ...
    def arn_of(self, inv: RegionInventory, item: Any, /) -> str: ...


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
        # When waste started for resources whose API dates do not say (a volume's detach,
        # an endpoint's return to InService), as learned from events by the realtime function.
        self.clocks = clocks or {}
        self.region = region
        self.account_id = account_id
        self.now = now
        self.pricer = pricer
        self._once = Once()
        self._describing = threading.BoundedSemaphore(DESCRIBE_CONCURRENCY)

    def once(self, key: Any, compute: Callable[[], T]) -> T:
        """A lookup made at most once per inventory, whichever detector asks first."""
        return self._once.get(key, compute)

    def prefetch(self, lookup: Callable[[Any], Any], keys: Iterable[Any]) -> None:
        """Run a per-resource lookup (a describe) for many resources at once, at most
        DESCRIBE_CONCURRENCY in flight; each result is kept as the lookup keeps it, and an
        error is left for the detector to meet when it asks."""
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

    # -- the resources of a kind ----------------------------------------------------------

    def listed(self, kind: Kind) -> list[Any]:
        """Every resource of the kind in the region, or, for a re-check, those of its scope
        still there: the one place that chooses, for every kind."""

        def read() -> list[Any]:
            if kind.service and not self.clients.offers(kind.service, self.region):
                log.info("%s not offered in %s: no %s", kind.service, self.region, kind.kind)
                return []
            if self.scope is None:
                return kind.list_all(self)
            ids = self.scoped_ids(kind.type)
            return kind.by_ids(self, ids) if ids else []

        return self._once.get(("listed", kind.type), read)

    def scoped_ids(self, resource_type: str) -> list[str]:
        return sorted((self.scope or {}).get(resource_type, ()))

    def described_once(
        self,
        key: tuple[str, ...],
        gone: frozenset[str],
        service: str,
        operation: str,
        params: Mapping[str, Any],
    ) -> dict[str, Any] | None:
        """One describe, once per sweep; None when the answer's error code says the resource
        is gone (``gone``, the kind's codes)."""

        def describe() -> dict[str, Any] | None:
            try:
                answer = getattr(self.clients.client(service, self.region), operation)(**params)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") not in gone:
                    raise
                return None
            answer.pop("ResponseMetadata", None)
            return answer  # type: ignore[no-any-return]

        return self._once.get(key, describe)

    def describe_all(
        self, asks: list[tuple[tuple[str, ...], frozenset[str], str, str, dict[str, str]]]
    ) -> list[dict[str, Any]]:
        """Many describes, DESCRIBE_CONCURRENCY at a time; the gone are left out."""
        by_key = {ask[0]: ask for ask in asks}
        self.prefetch(lambda k: self.described_once(*by_key[k]), list(by_key))
        found = (self.described_once(*ask) for ask in asks)
        return [d for d in found if d]

    # -- tags -----------------------------------------------------------------------------

    def tag_index(self, service: str, filters: tuple[str, ...]) -> dict[str, dict[str, str]]:
        """Every tagged resource of a service's indexed types (ResourceTypeFilters), by
        ARN, in one paginated GetResources per sweep."""

        def read() -> dict[str, dict[str, str]]:
            pages = (
                self.clients.tagging(self.region)
                .get_paginator("get_resources")
                .paginate(
                    ResourceTypeFilters=list(filters),
                    PaginationConfig={"PageSize": TAGGING_PAGE},
                )
            )
            return _tag_map(pages)

        return self._once.get(("tag-index", service), read)

    def listed_tags(self, kind: Kind) -> dict[str, dict[str, str]]:
        """Tags of a kind's listed resources by ARN, 100 to a GetResources call (an untagged
        resource is simply absent from the answer)."""

        def read() -> dict[str, dict[str, str]]:
            arns = [kind.arn_of(self, i) for i in self.listed(kind)]
            tagging = self.clients.tagging(self.region)
            return _tag_map(
                tagging.get_resources(ResourceARNList=arns[i : i + TAGGING_PAGE])
                for i in range(0, len(arns), TAGGING_PAGE)
            )

        return self._once.get(("listed-tags", kind.type), read)

    # -- metrics --------------------------------------------------------------------------

    def searched(
        self, resource: SearchedResource, name_key: str, field: str, value: str
    ) -> dict[str, Any]:
        """Every SageMaker ``resource`` whose ``field`` equals ``value``, as Search returns it
        (the whole record a describe gives), by name: 100 to a call, once per sweep."""

        def read() -> dict[str, Any]:
            pages = (
                self.clients.sagemaker(self.region)
                .get_paginator("search")
                .paginate(
                    Resource=resource,
                    SearchExpression={
                        "Filters": [{"Name": field, "Operator": "Equals", "Value": value}]
                    },
                    PaginationConfig={"PageSize": SAGEMAKER_PAGE},
                )
            )
            results: list[Any] = [r for page in pages for r in page["Results"]]
            return {r[resource][name_key]: r[resource] for r in results if resource in r}

        return self.once(("search", resource, field, value), read)

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

    # -- instance types -------------------------------------------------------------------

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

    # -- CloudTrail history ---------------------------------------------------------------

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

    # -- ARNs -----------------------------------------------------------------------------

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{partition(self.region)}:{service}:{self.region}:{self.account_id}:{resource}"


def summary(described: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The fields of a describe answer that its listing's summary carries."""
    return {k: described[k] for k in keys if k in described}


def every(client: Any, operation: str, key: str, page_size: int, **params: Any) -> list[Any]:
    """Every item of a paginated listing, at the given page size."""
    pages = client.get_paginator(operation).paginate(
        PaginationConfig={"PageSize": page_size}, **params
    )
    return [item for page in pages for item in page[key]]


def _tag_map(pages: Iterable[Any]) -> dict[str, dict[str, str]]:
    return {
        arn_key(item["ResourceARN"]): tags_to_dict(item.get("Tags"))
        for page in pages
        for item in page.get("ResourceTagMappingList", [])
    }


def arn_key(arn: str) -> str:
    # SageMaker lower-cases names in its ARNs and log group ARNs may end in ":*".
    return arn.removesuffix(":*").lower()
