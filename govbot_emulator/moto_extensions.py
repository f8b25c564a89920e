"""What the demo and the tests need of the emulated account beyond what moto's API offers.

moto creates every training job as Completed and stamps every resource with the time of the
call, so an estate with a job running for two days or a volume detached a month ago cannot be
made through the API alone. These helpers reach into moto's in-process backends (the demo's
moto server runs in the same process) and change just those fields.

Only the demo and the tests import this module; no code path that talks to real AWS does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

DEFAULT_ACCOUNT = "123456789012"


def _moto_time(when: datetime) -> datetime:
    """moto keeps naive UTC times and sorts by them: an aware one breaks its comparisons."""
    return when.astimezone(UTC).replace(tzinfo=None)


def _sagemaker(region: str, account: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account][region]


def _ec2(region: str, account: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def _logs(region: str, account: str) -> Any:
    from moto.logs.models import logs_backends

    return logs_backends[account][region]


def install() -> None:
    """Teach moto the calls govbot makes that it lacks (StopTrainingJob) or gets wrong
    (AddTags on a resource that is gone). Idempotent."""
    from moto.core.responses import EmptyResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import arn_formatter

    def stop_training_job(self: Any, training_job_name: str) -> None:
        job = self.training_jobs.get(training_job_name)
        if job is None:
            arn = arn_formatter(
                "training-job", training_job_name, self.account_id, self.region_name
            )
            raise ValidationError(message=f"Could not find training job '{arn}'.")
        if job.training_job_status != "InProgress":
            raise ValidationError(
                message="The request was rejected because the training job is in status "
                f"{job.training_job_status}."
            )
        # AWS goes through Stopping; the job's 120 s to save a checkpoint pass at once here.
        job.training_job_status = "Stopped"
        job.secondary_status = "Stopped"

    def stop_training_job_response(self: Any) -> Any:
        self.sagemaker_backend.stop_training_job(self._get_param("TrainingJobName"))
        return EmptyResult()

    original_add_tags = SageMakerModelBackend.add_tags

    def add_tags(self: Any, arn: str, tags: list[dict[str, str]]) -> Any:
        # moto fails with an AttributeError on a resource that is gone; SageMaker answers a
        # ValidationException naming the ARN.
        if self._get_resource_from_arn(arn) is None:
            raise ValidationError(message=f"Resource not found: {arn}")
        return original_add_tags(self, arn, tags)

    if not getattr(original_add_tags, "govbot", False):
        add_tags.govbot = True  # type: ignore[attr-defined]
        setattr(SageMakerModelBackend, "add_tags", add_tags)  # noqa: B010
    setattr(SageMakerModelBackend, "stop_training_job", stop_training_job)  # noqa: B010
    setattr(SageMakerResponse, "stop_training_job", stop_training_job_response)  # noqa: B010
    _install_inference_components()
    _install_log_group_class()
    _install_dynamodb_resources()
    _install_iam_prefixes()
    _install_simulate_principal_policy()
    _install_region_opt_in()
    from govbot_emulator import moto_pricing

    moto_pricing.install()  # the Price List Query API
    install_bedrock()  # Bedrock provisioned throughput
    install_cloudtrail_history()  # LookupEvents
    install_studio()  # Studio apps, user profiles, spaces, UpdateDomain
    from govbot_emulator import capacity_reservations

    capacity_reservations.install()  # EC2 On-Demand Capacity Reservations
    from govbot_emulator import fsx_lustre

    fsx_lustre.install()  # FSx for Lustre as the FSx API answers it
    from govbot_emulator import opensearch_serverless

    opensearch_serverless.install()  # collections with AWS owned keys


def _install_inference_components() -> None:
    """Inference components (CreateInferenceComponent, DescribeInferenceComponent,
    ListInferenceComponents, DeleteInferenceComponent), which moto lacks, in the shapes of
    botocore's SageMaker service model; kept per account and region like moto's own."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import arn_formatter

    original_validate = SageMakerModelBackend.validate_production_variants

    def validate_production_variants(self: Any, production_variants: list[Any]) -> None:
        # A variant that hosts inference components names no model of its own.
        original_validate(self, [v for v in production_variants if "ModelName" in v])

    if not getattr(original_validate, "govbot", False):
        validate_production_variants.govbot = True  # type: ignore[attr-defined]
        SageMakerModelBackend.validate_production_variants = validate_production_variants  # type: ignore[method-assign]

    components = _inference_components

    def create(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        name, endpoint = params["InferenceComponentName"], params["EndpointName"]
        if endpoint not in self.endpoints:
            raise ValidationError(message=f"Could not find endpoint '{endpoint}'.")
        if name in components(self):
            raise ValidationError(message=f"Inference component {name} already exists.")
        now = _moto_time(datetime.now(UTC))
        copies = (params.get("RuntimeConfig") or {}).get("CopyCount", 1)
        # Tags given at creation, kept beside the record (ListTags and AddTags reach them).
        if params.get("Tags"):
            _component_tags(self, name)["Tags"] = list(params["Tags"])
        components(self)[name] = {
            "InferenceComponentName": name,
            "InferenceComponentArn": arn_formatter(
                "inference-component", name, self.account_id, self.region_name
            ),
            "EndpointName": endpoint,
            "EndpointArn": self.endpoints[endpoint].arn,
            "VariantName": params.get("VariantName"),
            "Specification": _specification_summary(params.get("Specification", {}), now),
            "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
            "CreationTime": now,
            "LastModifiedTime": now,
            "InferenceComponentStatus": "InService",
        }
        return {"InferenceComponentArn": components(self)[name]["InferenceComponentArn"]}

    summary_keys = (
        "CreationTime",
        "InferenceComponentArn",
        "InferenceComponentName",
        "EndpointArn",
        "EndpointName",
        "VariantName",
        "InferenceComponentStatus",
        "LastModifiedTime",
    )

    def listing(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        found = [
            c
            for c in sorted(components(self).values(), key=lambda c: c["InferenceComponentName"])
            if params.get("EndpointNameEquals") in (None, c["EndpointName"])
            and params.get("StatusEquals") in (None, c["InferenceComponentStatus"])
        ]
        return _page(
            params, "InferenceComponents", [{k: c[k] for k in summary_keys} for c in found]
        )

    def describe(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(components(self)[params["InferenceComponentName"]])
        except KeyError:
            raise ValidationError(
                message=f"Could not find inference component '{params['InferenceComponentName']}'."
            ) from None

    def delete(self: Any, params: dict[str, Any]) -> dict[str, Any]:
        components(self).pop(params["InferenceComponentName"], None)
        getattr(self, "govbot_component_tags", {}).pop(params["InferenceComponentName"], None)
        return {}

    for op, method in (
        ("create_inference_component", create),
        ("list_inference_components", listing),
        ("describe_inference_component", describe),
        ("delete_inference_component", delete),
    ):
        setattr(SageMakerResponse, op, _json_operation(method))


def _json_operation(method: Any) -> Any:
    """A SageMaker response method answering from ``method(backend, params)``, JSON in and out,
    with times as epoch seconds as botocore reads them."""

    def respond(self: Any) -> str:
        answer = method(self.sagemaker_backend, json.loads(self.body or "{}"))
        return json.dumps(answer, default=lambda t: t.replace(tzinfo=UTC).timestamp())

    return respond


def set_variant_instances(
    region: str, endpoint: str, variant: str, count: int, account: str = DEFAULT_ACCOUNT
) -> None:
    """What managed instance scaling does: a variant's running instances, down to zero."""
    for v in _sagemaker(region, account).endpoints[endpoint].production_variants:
        if v["VariantName"] == variant:
            v["CurrentInstanceCount"] = count


def set_snapshot_state(
    region: str, snapshot_id: str, state: str, account: str = DEFAULT_ACCOUNT
) -> None:
    """Snapshots are born completed in moto; a real one is pending for minutes or hours."""
    _ec2(region, account).snapshots[snapshot_id].status = state


def set_training_job_running(
    region: str, name: str, started: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    """Make a training job InProgress since ``started`` (moto creates jobs Completed)."""
    job = _sagemaker(region, account).training_jobs[name]
    job.training_job_status = "InProgress"
    job.secondary_status = "Training"
    job.creation_time = job.training_start_time = job.last_modified_time = _moto_time(started)
    job.training_end_time = None


def set_training_job_status(
    region: str, name: str, status: str, when: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    job = _sagemaker(region, account).training_jobs[name]
    job.training_job_status = status
    job.secondary_status = status
    job.training_end_time = job.last_modified_time = _moto_time(when)


def set_endpoint_created(
    region: str, name: str, created: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    endpoint = _sagemaker(region, account).endpoints[name]
    endpoint.creation_time = endpoint.last_modified_time = _moto_time(created)


def set_volume_created(
    region: str, volume_id: str, created: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    _ec2(region, account).volumes[volume_id].create_time = _moto_time(created)


def set_log_group_stored_bytes(
    region: str, name: str, stored_bytes: int, account: str = DEFAULT_ACCOUNT
) -> None:
    """Give a log group a stored size without writing gigabytes of events."""
    group = _logs(region, account).groups[name]
    stream_name = "govbot-demo-stored"
    if stream_name not in group.streams:
        group.create_log_stream(stream_name)
    group.streams[stream_name].stored_bytes = stored_bytes


def set_notebook_modified(
    region: str, name: str, modified: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    """A notebook last started, stopped or updated at ``modified`` (moto dates it at creation)."""
    notebook = _sagemaker(region, account).notebook_instances[name]
    notebook.creation_time = notebook.last_modified_time = _moto_time(modified)


def set_instance_launched(
    region: str, instance_id: str, launched: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    """An instance running since ``launched`` (moto launches it now)."""
    _ec2(region, account).get_instance(instance_id).launch_time = _moto_time(launched)


# -- Bedrock provisioned throughput (moto has Bedrock, but not these calls) ----------------

COMMITMENT_DAYS = {"OneMonth": 30, "SixMonths": 182}


def _bedrock(region: str, account: str) -> Any:
    from moto.bedrock.models import bedrock_backends

    return bedrock_backends[account][region]


def _provisioned(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "govbot_provisioned"):
        backend.govbot_provisioned = {}
    return backend.govbot_provisioned  # type: ignore[no-any-return]


def install_bedrock() -> None:
    """CreateProvisionedModelThroughput, List..., Get... and Delete..., as Bedrock answers them
    (ISO dates, ids by name or ARN, a committed term refused deletion until it ends). Tags go
    to moto's own Bedrock tagger. Idempotent."""
    import secrets

    from moto.bedrock.exceptions import ResourceNotFoundException, ValidationException
    from moto.bedrock.models import BedrockBackend
    from moto.bedrock.responses import BedrockResponse

    def iso(when: datetime) -> str:
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def find(backend: Any, ident: str) -> dict[str, Any]:
        ident = unquote(ident)
        for p in _provisioned(backend).values():
            if ident in (p["provisionedModelArn"], p["provisionedModelName"]):
                return p
        raise ResourceNotFoundException(f"Provisioned model {ident} not found")

    def create(self: Any) -> str:
        params = json.loads(self.body or "{}")
        backend = self.bedrock_backend
        model = params["modelId"]
        model_arn = (
            model
            if model.startswith("arn:")
            else f"arn:aws:bedrock:{self.region}::foundation-model/{model}"
        )
        now = datetime.now(UTC)
        arn = (
            f"arn:aws:bedrock:{self.region}:{self.current_account}:provisioned-model/"
            f"{secrets.token_hex(6)}"
        )
        record: dict[str, Any] = {
            "provisionedModelName": params["provisionedModelName"],
            "provisionedModelArn": arn,
            "modelArn": model_arn,
            "desiredModelArn": model_arn,
            "foundationModelArn": model_arn,
            "modelUnits": params["modelUnits"],
            "desiredModelUnits": params["modelUnits"],
            "status": "InService",
            "creationTime": now,
            "lastModifiedTime": now,
        }
        if params.get("commitmentDuration"):
            record["commitmentDuration"] = params["commitmentDuration"]
            record["commitmentExpirationTime"] = now + timedelta(
                days=COMMITMENT_DAYS[params["commitmentDuration"]]
            )
        _provisioned(backend)[arn] = record
        if params.get("tags"):
            backend.tagger.tag_resource(
                arn, [{"Key": t["key"], "Value": t["value"]} for t in params["tags"]]
            )
        return json.dumps({"provisionedModelArn": arn})

    def shown(p: dict[str, Any]) -> dict[str, Any]:
        return {k: iso(v) if isinstance(v, datetime) else v for k, v in p.items()}

    def listing(self: Any) -> str:
        q = {k: v[0] for k, v in self.querystring.items()}
        found = sorted(
            (
                p
                for p in _provisioned(self.bedrock_backend).values()
                if q.get("statusEquals") in (None, p["status"])
            ),
            key=lambda p: p["creationTime"],
        )
        start = int(q.get("nextToken") or 0)
        size = min(int(q.get("maxResults") or 1000), 1000)
        answer: dict[str, Any] = {
            "provisionedModelSummaries": [shown(p) for p in found[start : start + size]]
        }
        if start + size < len(found):
            answer["nextToken"] = str(start + size)
        return json.dumps(answer)

    def get(self: Any) -> str:
        return json.dumps(shown(find(self.bedrock_backend, self.path.split("/")[-1])))

    def delete(self: Any) -> str:
        p = find(self.bedrock_backend, self.path.split("/")[-1])
        ends = p.get("commitmentExpirationTime")
        if ends is not None and ends > datetime.now(UTC):
            raise ValidationException(
                f"Provisioned model {p['provisionedModelName']} has a commitment term until "
                f"{iso(ends)} and cannot be deleted before it ends"
            )
        del _provisioned(self.bedrock_backend)[p["provisionedModelArn"]]
        return "{}"

    for op, method in (
        ("create_provisioned_model_throughput", create),
        ("list_provisioned_model_throughputs", listing),
        ("get_provisioned_model_throughput", get),
        ("delete_provisioned_model_throughput", delete),
    ):
        setattr(BedrockResponse, op, method)

    original_arns = BedrockBackend._list_arns
    if not getattr(original_arns, "govbot", False):

        def list_arns(self: Any) -> list[str]:
            return [*original_arns(self), *_provisioned(self)]

        list_arns.govbot = True  # type: ignore[attr-defined]
        BedrockBackend._list_arns = list_arns  # type: ignore[method-assign]


def set_provisioned_created(
    region: str, name: str, created: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    """A provisioned throughput bought at ``created`` (its term, if any, counted from then)."""
    for p in _provisioned(_bedrock(region, account)).values():
        if p["provisionedModelName"] == name:
            term = p.get("commitmentDuration")
            p["creationTime"] = p["lastModifiedTime"] = created.astimezone(UTC)
            if term:
                p["commitmentExpirationTime"] = p["creationTime"] + timedelta(
                    days=COMMITMENT_DAYS[term]
                )


# -- CloudTrail event history (LookupEvents; moto has trails but no history) ---------------


def _history(region: str, account: str) -> list[dict[str, Any]]:
    from moto.cloudtrail.models import cloudtrail_backends

    backend: Any = cloudtrail_backends[account][region]
    if not hasattr(backend, "govbot_history"):
        backend.govbot_history = []
    return backend.govbot_history  # type: ignore[no-any-return]


def record_api_call(
    region: str,
    event_name: str,
    source: str,
    request: dict[str, Any],
    when: datetime,
    account: str = DEFAULT_ACCOUNT,
) -> None:
    """A management event in the region's CloudTrail event history, as LookupEvents shows it."""
    detail = {
        "eventVersion": "1.08",
        "eventTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": region,
        "requestParameters": request,
        "recipientAccountId": account,
    }
    _history(region, account).append(
        {
            "EventId": f"{len(_history(region, account)):08d}-govbot",
            "EventName": event_name,
            "ReadOnly": "false",
            "EventTime": when.astimezone(UTC).timestamp(),
            "EventSource": source,
            "Resources": [],
            "CloudTrailEvent": json.dumps(detail),
        }
    )


def install_cloudtrail_history() -> None:
    """LookupEvents by event name and time range, newest first, 50 a page. Idempotent."""
    from moto.cloudtrail.responses import CloudTrailResponse

    def lookup_events(self: Any) -> str:
        params = json.loads(self.body or "{}")
        wanted = {
            a["AttributeValue"]
            for a in params.get("LookupAttributes", [])
            if a["AttributeKey"] == "EventName"
        }
        start = float(params.get("StartTime", 0))
        end = float(params.get("EndTime", 4e9))
        found = sorted(
            (
                e
                for e in _history(self.region, self.current_account)
                if (not wanted or e["EventName"] in wanted) and start <= e["EventTime"] <= end
            ),
            key=lambda e: -e["EventTime"],
        )
        first = int(params.get("NextToken") or 0)
        size = min(int(params.get("MaxResults") or 50), 50)
        answer: dict[str, Any] = {"Events": found[first : first + size]}
        if first + size < len(found):
            answer["NextToken"] = str(first + size)
        return json.dumps(answer)

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]


# -- SageMaker Studio (moto has domains, but not their apps, user profiles or spaces) --------

# What each kind of Studio resource is keyed by, and its ARN's resource word.
STUDIO_KINDS = {"app": "app", "user": "user-profile", "space": "space"}


def _studio(backend: Any) -> dict[str, dict[tuple[str, ...], dict[str, Any]]]:
    if not hasattr(backend, "govbot_studio"):
        backend.govbot_studio = {"app": {}, "user": {}, "space": {}}
    return backend.govbot_studio  # type: ignore[no-any-return]


def _app_key(params: dict[str, Any]) -> tuple[str, ...]:
    owner = (
        ("space", params["SpaceName"])
        if params.get("SpaceName")
        else ("user", params.get("UserProfileName", ""))
    )
    return (params["DomainId"], *owner, params["AppType"], params["AppName"])


def install_studio() -> None:
    """Studio apps (Create/List/Describe/DeleteApp), user profiles and spaces (Create, List,
    Describe, Update, Delete) and UpdateDomain, in the shapes of botocore's SageMaker model:
    an app deleted stays listed as Deleted, as SageMaker shows it for a while; an update
    replaces the settings blocks it names, like SageMaker's. ListTags answers for them.
    Idempotent."""
    from moto.sagemaker.exceptions import (
        ResourceInUseException,
        ResourceNotFound,
        ValidationError,
    )
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def arn(backend: Any, kind: str, *path: str) -> str:
        return (
            f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:"
            f"{STUDIO_KINDS[kind]}/{'/'.join(path)}"
        )

    def domain(backend: Any, domain_id: str) -> Any:
        if domain_id not in backend.domains:
            raise ValidationError(message=f"Could not find domain '{domain_id}'.")
        return backend.domains[domain_id]

    def now() -> datetime:
        return _moto_time(datetime.now(UTC))

    # -- apps --
    def create_app(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        domain(self, p["DomainId"])
        key = _app_key(p)
        apps = _studio(self)["app"]
        if key in apps and apps[key]["Status"] not in ("Deleted", "Failed"):
            raise ResourceInUseException(message=f"App {p['AppName']} already exists.")
        created = now()
        apps[key] = {
            "AppArn": arn(self, "app", key[0], key[2], key[3].lower(), key[4]),
            "AppType": p["AppType"],
            "AppName": p["AppName"],
            "DomainId": p["DomainId"],
            ("SpaceName" if key[1] == "space" else "UserProfileName"): key[2],
            "Status": "InService",
            "CreationTime": created,
            "LastHealthCheckTimestamp": created,
            "LastUserActivityTimestamp": created,
            "ResourceSpec": p.get("ResourceSpec") or {"InstanceType": "ml.t3.medium"},
            "Tags": p.get("Tags", []),
        }
        return {"AppArn": apps[key]["AppArn"]}

    app_summary = (
        "DomainId", "UserProfileName", "SpaceName", "AppType", "AppName", "Status",
        "CreationTime", "ResourceSpec",
    )  # fmt: skip

    def list_apps(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        found = [
            a
            for a in sorted(_studio(self)["app"].values(), key=lambda a: a["CreationTime"])
            if p.get("DomainIdEquals") in (None, a["DomainId"])
            and p.get("SpaceNameEquals") in (None, a.get("SpaceName"))
            and p.get("UserProfileNameEquals") in (None, a.get("UserProfileName"))
        ]
        return _page(p, "Apps", [{k: a[k] for k in app_summary if k in a} for a in found])

    def app(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        try:
            return _studio(self)["app"][_app_key(p)]
        except KeyError:
            raise ResourceNotFound(message=f"App {p['AppName']} does not exist.") from None

    def describe_app(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in app(self, p).items() if k != "Tags"}

    def delete_app(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        found = app(self, p)
        if found["Status"] in ("Deleted", "Deleting"):
            raise ValidationError(message=f"App {p['AppName']} is already {found['Status']}.")
        found["Status"] = "Deleted"  # SageMaker passes through Deleting
        return {}

    # -- user profiles and spaces --
    def owned(kind: str, name_key: str, settings_key: str) -> tuple[Any, ...]:
        def key(p: dict[str, Any]) -> tuple[str, str]:
            return (p["DomainId"], p[name_key])

        def create(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            domain(self, p["DomainId"])
            if key(p) in _studio(self)[kind]:
                raise ResourceInUseException(message=f"{p[name_key]} already exists.")
            created = now()
            record = {
                "DomainId": p["DomainId"],
                name_key: p[name_key],
                f"{STUDIO_ARN_FIELD[kind]}": arn(self, kind, p["DomainId"], p[name_key]),
                "Status": "InService",
                "CreationTime": created,
                "LastModifiedTime": created,
                settings_key: p.get(settings_key) or {},
                "Tags": p.get("Tags", []),
            }
            for extra in ("OwnershipSettings", "SpaceSharingSettings", "SpaceDisplayName"):
                if extra in p:
                    record[extra] = p[extra]
            _studio(self)[kind][key(p)] = record
            return {STUDIO_ARN_FIELD[kind]: record[STUDIO_ARN_FIELD[kind]]}

        def one(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            try:
                return _studio(self)[kind][key(p)]
            except KeyError:
                raise ResourceNotFound(message=f"{p[name_key]} does not exist.") from None

        def describe(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in one(self, p).items() if k != "Tags"}

        def update(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            record = one(self, p)
            record[settings_key] = {**record[settings_key], **(p.get(settings_key) or {})}
            record["LastModifiedTime"] = now()
            return {STUDIO_ARN_FIELD[kind]: record[STUDIO_ARN_FIELD[kind]]}

        def delete(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            one(self, p)
            del _studio(self)[kind][key(p)]
            return {}

        summary = ("DomainId", name_key, "Status", "CreationTime", "LastModifiedTime")

        def listing(self: Any, p: dict[str, Any]) -> dict[str, Any]:
            contains = p.get(f"{name_key}Contains") or ""
            found = [
                {k: r[k] for k in summary}
                for r in sorted(_studio(self)[kind].values(), key=lambda r: r["CreationTime"])
                if p.get("DomainIdEquals") in (None, r["DomainId"]) and contains in r[name_key]
            ]
            return _page(p, STUDIO_LIST_KEY[kind], found)

        return create, describe, update, delete, listing

    # -- domains --
    def update_domain(self: Any, p: dict[str, Any]) -> dict[str, Any]:
        d = domain(self, p["DomainId"])
        for key, attr in (
            ("DefaultUserSettings", "default_user_settings"),
            ("DefaultSpaceSettings", "default_space_settings"),
        ):
            if p.get(key):
                setattr(d, attr, {**(getattr(d, attr) or {}), **p[key]})
        d.last_modified_time = now()
        return {"DomainArn": d.arn}

    ops: dict[str, Any] = {
        "create_app": create_app,
        "list_apps": list_apps,
        "describe_app": describe_app,
        "delete_app": delete_app,
        "update_domain": update_domain,
    }
    for kind, noun, name_key, settings_key in (
        ("user", "user_profile", "UserProfileName", "UserSettings"),
        ("space", "space", "SpaceName", "SpaceSettings"),
    ):
        create, describe, update, delete, listing = owned(kind, name_key, settings_key)
        ops |= {
            f"create_{noun}": create,
            f"describe_{noun}": describe,
            f"update_{noun}": update,
            f"delete_{noun}": delete,
            f"list_{noun}s": listing,
        }

    for op, method in ops.items():
        setattr(SageMakerResponse, op, _json_operation(method))

    original_resource = SageMakerModelBackend._get_resource_from_arn
    if not getattr(original_resource, "govbot", False):

        def resource_from_arn(self: Any, resource_arn: str) -> Any:
            # Tags of inference components, Studio apps, user profiles and spaces (ListTags,
            # AddTags, DeleteTags), which moto's SageMaker does not hold.
            if resource_arn.split(":")[-1].startswith("inference-component/"):
                for name, record in _inference_components(self).items():
                    if record["InferenceComponentArn"] == resource_arn:
                        return _Tagged(_component_tags(self, name))
                return None
            for kind, word in STUDIO_KINDS.items():
                if resource_arn.split(":")[-1].startswith(f"{word}/"):
                    for record in _studio(self)[kind].values():
                        if record.get(STUDIO_ARN_FIELD[kind]) == resource_arn:
                            return _Tagged(record)
                    return None
            return original_resource(self, resource_arn)

        resource_from_arn.govbot = True  # type: ignore[attr-defined]
        SageMakerModelBackend._get_resource_from_arn = resource_from_arn  # type: ignore[method-assign,assignment]


def _specification_summary(spec: dict[str, Any], now: Any) -> dict[str, Any]:
    """What DescribeInferenceComponent answers for the specification it was created with:
    botocore's InferenceComponentSpecificationSummary, whose container names the image it
    was given and the digest it resolved to (DeployedImage), not the input's ``Image``."""
    summary = dict(spec)
    container = dict(spec.get("Container") or {})
    if "Image" in container:
        image = container.pop("Image")
        # An image named by its digest resolves to itself; a tag resolves to a digest.
        resolved = image
        if "@sha256:" not in image:
            digest = hashlib.sha256(image.encode()).hexdigest()
            resolved = f"{image.rsplit(':', 1)[0]}@sha256:{digest}"
        container["DeployedImage"] = {
            "SpecifiedImage": image,
            "ResolvedImage": resolved,
            "ResolutionTime": now,
        }
    if container:
        summary["Container"] = container
    return summary


def _install_dynamodb_resources() -> None:
    """DynamoDB authorises a request against the table it names (and a query on an index
    against the index): arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/index/INDEX] (the DynamoDB
    developer guide, "Using identity-based policies (IAM policies) for Amazon DynamoDB").
    moto asks IAM about "*" instead, which no table-scoped policy matches."""
    import json

    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_determine_resource", None):
        return

    def determine(self: Any) -> str:
        body = self.body
        if not isinstance(body, dict):
            try:
                body = json.loads(body or "{}")
            except ValueError:
                return "*"
        table = body.get("TableName") if isinstance(body, dict) else None
        if not table:
            return "*"
        arn = f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{table}"
        return f"{arn}/index/{body['IndexName']}" if body.get("IndexName") else arn

    DynamoHandler._determine_resource = determine  # type: ignore[attr-defined]


# SigV4 signing names that are not the service's IAM prefix (the Service Authorization
# Reference: CloudWatch's actions are "cloudwatch:...", the Resource Groups Tagging API's
# "tag:..."); moto names the action after the signing name.
IAM_PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}


def _install_iam_prefixes() -> None:
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase.__init__
    if getattr(original, "govbot", False):
        return

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        service, _, action = self._action.partition(":")
        if service in IAM_PREFIXES:
            self._action = f"{IAM_PREFIXES[service]}:{action}"

    init.govbot = True  # type: ignore[attr-defined]
    IAMRequestBase.__init__ = init  # type: ignore[method-assign]


def _install_simulate_principal_policy() -> None:
    """IAM SimulatePrincipalPolicy (IAM API reference): each action asked, against each
    resource asked ("*" when none), with the context entries given, evaluated against the
    principal's identity policies (a user's inline, attached and groups', a role's inline and
    attached): explicitDeny if a matching statement denies it, allowed if one allows it, else
    implicitDeny. Conditions are read as the IAM condition operators reference says for the
    operators govbot's policies use (String*, ArnEquals/ArnLike, Null, with ForAllValues: and
    ForAnyValue:); a condition on a key the context lacks does not match. SCPs and permissions
    boundaries are not emulated."""
    import fnmatch
    import json

    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "simulate_principal_policy"):
        return

    def documents(backend: Any, arn: str) -> list[Any]:
        kind, _, name = arn.split(":")[-1].partition("/")
        name = name.rsplit("/", 1)[-1]
        found: list[Any] = []
        if kind == "user":
            found += [
                backend.get_user_policy(name, p)["policy_document"]
                for p in backend.list_user_policies(name)
            ]
            attached = list(backend.list_attached_user_policies(name)[0])
            for group in backend.get_groups_for_user(name):
                found += [
                    backend.get_group_policy(group.name, p)["policy_document"]
                    for p in backend.list_group_policies(group.name)
                ]
                attached += backend.list_attached_group_policies(group.name)[0]
        elif kind == "role":
            found += [backend.get_role_policy(name, p)[1] for p in backend.list_role_policies(name)]
            attached = list(backend.list_attached_role_policies(name)[0])
        else:
            raise ValueError(f"not a user or role: {arn}")
        for policy in attached:
            default = next(v for v in policy.versions if v.is_default)
            found.append(default.document)
        return [json.loads(d) if isinstance(d, str) else d for d in found]

    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
        if ignore_case:
            pattern, value = pattern.lower(), value.lower()
        return fnmatch.fnmatchcase(value, pattern)

    def value_matches(value: str, patterns: list[str], exact: bool, ignore: bool) -> bool:
        if exact:
            return any((value.lower() == w.lower()) if ignore else value == w for w in patterns)
        return any(matches(w, value, ignore) for w in patterns)

    def condition_holds(conditions: dict[str, Any], context: dict[str, list[str]]) -> bool:
        for operator, keys in conditions.items():
            quantifier, _, base = operator.rpartition(":")
            for key, wanted in keys.items():
                values = context.get(key)
                if base == "Null":
                    if (values is None) != (str(listed(wanted)[0]).lower() == "true"):
                        return False
                    continue
                if values is None:
                    return False
                exact = base in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals")
                ignore = base.endswith("IgnoreCase")
                patterns = [str(x) for x in listed(wanted)]
                hits = [value_matches(v, patterns, exact, ignore) for v in values]
                if quantifier == "ForAllValues" and not all(hits):
                    return False
                if quantifier != "ForAllValues" and not any(hits):
                    return False
        return True

    def decide(docs: list[Any], action: str, resource: str, context: dict[str, list[str]]) -> str:
        allowed = False
        for doc in docs:
            for st in listed(doc.get("Statement", [])):
                if not any(matches(a, action, True) for a in listed(st.get("Action", []))):
                    continue
                if not any(matches(r, resource) for r in listed(st.get("Resource", "*"))):
                    continue
                if not condition_holds(st.get("Condition", {}), context):
                    continue
                if st.get("Effect") == "Deny":
                    return "explicitDeny"
                allowed = True
        return "allowed" if allowed else "implicitDeny"

    def simulate(self: Any) -> Any:
        docs = documents(self.backend, self._get_param("PolicySourceArn"))
        context = {
            e["ContextKeyName"]: [str(v) for v in e.get("ContextKeyValues", [])]
            for e in self._get_param("ContextEntries", [])
        }
        results = [
            {"EvalActionName": action, "EvalResourceName": resource,
             "EvalDecision": decide(docs, action, resource, context)}
            for action in self._get_param("ActionNames", [])
            for resource in self._get_param("ResourceArns", []) or ["*"]
        ]  # fmt: skip
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate  # type: ignore[attr-defined]


def _install_region_opt_in() -> None:
    """DescribeRegions (EC2 API reference) lists only the regions enabled for the account
    unless AllRegions is true, and filters on opt-in-status; moto lists every region it knows
    whatever is asked. Opt-in regions nobody opted in to are "not-opted-in" in moto's data."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions

    original = AvailabilityZonesAndRegions.describe_regions
    if getattr(original, "govbot", False):
        return

    def describe_regions(self: Any) -> Any:
        answer = original(self)
        everything = str(self._get_param("AllRegions", False)).lower() == "true"
        wanted: set[str] = set()
        for f in self._get_param("Filters", []):
            if f.get("Name") == "opt-in-status":
                wanted |= set(f.get("Values", []))
        if not wanted and not everything:
            wanted = {"opt-in-not-required", "opted-in"}
        if wanted:
            regions = answer.result["Regions"]  # type: ignore[index]
            answer = ActionResult({"Regions": [r for r in regions if r.opt_in_status in wanted]})
        return answer

    describe_regions.govbot = True  # type: ignore[attr-defined]
    AvailabilityZonesAndRegions.describe_regions = describe_regions  # type: ignore[method-assign]


def _install_log_group_class() -> None:
    """DescribeLogGroups answers every group's ``logGroupClass`` (STANDARD unless created
    INFREQUENT_ACCESS, DELIVERY or ESSENTIALS: botocore's LogGroup shape, the CloudWatch Logs
    API reference's CreateLogGroup); moto keeps no class."""
    from moto.logs.models import LogGroup
    from moto.logs.responses import LogsResponse

    original_describe = LogGroup.to_describe_dict
    if getattr(original_describe, "govbot", False):
        return

    def to_describe_dict(self: Any) -> dict[str, Any]:
        return {
            **original_describe(self),
            "logGroupClass": getattr(self, "govbot_class", "STANDARD"),
        }

    original_create = LogsResponse.create_log_group

    def create_log_group(self: Any) -> str:
        answer = original_create(self)
        name, cls = self._get_param("logGroupName"), self._get_param("logGroupClass")
        if cls:
            self.logs_backend.groups[name].govbot_class = cls
        return str(answer)

    to_describe_dict.govbot = True  # type: ignore[attr-defined]
    LogGroup.to_describe_dict = to_describe_dict  # type: ignore[method-assign]
    LogsResponse.create_log_group = create_log_group  # type: ignore[method-assign]


def _inference_components(backend: Any) -> dict[str, dict[str, Any]]:
    """The emulated inference components of one account and region, by name."""
    if not hasattr(backend, "govbot_inference_components"):
        backend.govbot_inference_components = {}
    return backend.govbot_inference_components  # type: ignore[no-any-return]


def _component_tags(backend: Any, name: str) -> dict[str, Any]:
    # Apart from the record, whose fields are DescribeInferenceComponent's answer (no Tags).
    if not hasattr(backend, "govbot_component_tags"):
        backend.govbot_component_tags = {}
    return backend.govbot_component_tags.setdefault(name, {})  # type: ignore[no-any-return]


STUDIO_ARN_FIELD = {"app": "AppArn", "user": "UserProfileArn", "space": "SpaceArn"}
STUDIO_LIST_KEY = {"user": "UserProfiles", "space": "Spaces"}


class _Tagged:
    """A Studio record seen as moto's tagging code sees its resources (a ``tags`` list)."""

    def __init__(self, record: dict[str, Any]) -> None:
        self._record = record

    @property
    def tags(self) -> list[dict[str, str]]:
        return self._record.setdefault("Tags", [])  # type: ignore[no-any-return]

    @tags.setter
    def tags(self, value: list[dict[str, str]]) -> None:
        self._record["Tags"] = value


def _page(params: dict[str, Any], key: str, found: list[Any]) -> dict[str, Any]:
    start = int(params.get("NextToken") or 0)
    size = min(int(params.get("MaxResults") or 10), 100)
    answer: dict[str, Any] = {key: found[start : start + size]}
    if start + size < len(found):
        answer["NextToken"] = str(start + size)
    return answer


def set_app_activity(
    region: str,
    domain_id: str,
    owner: str,
    app_type: str,
    app_name: str,
    last_activity: datetime | None,
    created: datetime | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> None:
    """A Studio app last used at ``last_activity`` (None: SageMaker reports no activity yet),
    created at ``created``; ``owner`` is "space/NAME" or "user/NAME"."""
    kind, name = owner.split("/", 1)
    key = (domain_id, kind, name, app_type, app_name)
    record = _studio(_sagemaker(region, account))["app"][key]
    if last_activity is None:
        record.pop("LastUserActivityTimestamp", None)
    else:
        record["LastUserActivityTimestamp"] = _moto_time(last_activity)
    if created is not None:
        record["CreationTime"] = _moto_time(created)
