"""A realistic ML estate in an emulated account, for the demo and the tests.

Everything is created through the AWS API (the clients may point at a moto server over HTTP);
only the clock-dependent fields moto cannot take through the API are set with
``govbot_emulator.moto_extensions``. ``EXPECTED`` says which resources a default sweep must flag,
so the tests and the demo agree on one truth.
"""

# Seed data is written as plain dicts; the boto3 stubs' TypedDicts add nothing here.
# mypy: disable-error-code="arg-type,misc,list-item,typeddict-item"
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3

from govbot.aws import AwsClients
from govbot_emulator import moto_extensions as ext

PRIMARY, SECONDARY = "us-east-1", "eu-west-1"
REGIONS = [PRIMARY, SECONDARY]
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerExecution"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:latest"


def team_tags(project: str, env: str = "prod", **extra: str) -> list[dict[str, str]]:
    tags = {"cost-center": "cc-4410", "project": project, "environment": env, **extra}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def as_tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": k.replace("_", "-"), "Value": v} for k, v in tags.items()]


@dataclass
class Estate:
    """Ids of what was created, by a readable key."""

    volumes: dict[str, str]
    instances: dict[str, str]
    reservations: dict[str, str]
    file_systems: dict[str, str]
    collections: dict[str, str]


# (detector, region, key) for every finding a default-policy sweep of the estate must report.
# Volume, instance, reservation, file system and collection keys ("vol:", "i:", "cr:", "fs:",
# "aoss:") are resolved to ids through Estate.
EXPECTED: set[tuple[str, str, str]] = {
    ("idle-endpoint", PRIMARY, "churn-model-staging"),
    ("idle-endpoint", PRIMARY, "llm-playground"),
    ("idle-endpoint", SECONDARY, "translation-eu"),
    ("orphaned-volume", PRIMARY, "vol:old-checkpoints"),
    ("orphaned-volume", PRIMARY, "vol:untagged-scratch"),
    ("orphaned-volume", PRIMARY, "vol:snooze-expired"),
    ("orphaned-volume", SECONDARY, "vol:eu-dataset-cache"),
    ("untagged-resource", PRIMARY, "llm-playground"),
    ("untagged-resource", PRIMARY, "ds-sandbox"),
    ("untagged-resource", PRIMARY, "bert-finetune-large"),
    ("untagged-resource", PRIMARY, "vol:untagged-scratch"),
    ("untagged-resource", PRIMARY, "i:dev-box"),
    ("untagged-resource", PRIMARY, "vol:dev-box-root"),
    ("idle-notebook", PRIMARY, "cv-labelling-gpu"),
    ("idle-gpu-instance", PRIMARY, "i:cv-train-box"),
    ("idle-provisioned-throughput", PRIMARY, "support-assistant-pt"),
    ("unused-capacity-reservation", PRIMARY, "cr:llm-launch-p5"),
    ("idle-lustre-filesystem", PRIMARY, "fs:pretrain-shards"),
    ("idle-vector-collection", PRIMARY, "aoss:support-rag-v1"),
    ("overprovisioned-endpoint", PRIMARY, "recs-ranker"),
    ("idle-studio-app", PRIMARY, "d-ml-studio/space/ana-gpu/JupyterLab/default"),
    ("studio-idle-shutdown-off", PRIMARY, "d-ml-studio"),
    ("runaway-training-job", PRIMARY, "bert-finetune-large"),
    ("runaway-training-job", PRIMARY, "resnet-hparam-17"),
    ("training-without-spot", PRIMARY, "resnet-hparam-17"),
    ("log-retention-gap", PRIMARY, "/aws/sagemaker/Endpoints/fraud-detector-prod"),
    ("log-retention-gap", PRIMARY, "/aws/sagemaker/TrainingJobs"),
    ("log-retention-gap", SECONDARY, "/aws/sagemaker/Endpoints/translation-eu"),
}


def seed(clients: AwsClients, now: datetime) -> Estate:
    estate = Estate(volumes={}, instances={}, reservations={}, file_systems={}, collections={})
    _seed_primary(clients, now, estate)
    _seed_secondary(clients, now, estate)
    return estate


def expected_findings(estate: Estate) -> set[tuple[str, str, str]]:
    """EXPECTED with volume, instance and reservation keys turned into their ids."""
    ids = {f"vol:{k}": v for k, v in estate.volumes.items()}
    ids.update({f"i:{k}": v for k, v in estate.instances.items()})
    ids.update({f"cr:{k}": v for k, v in estate.reservations.items()})
    ids.update({f"fs:{k}": v for k, v in estate.file_systems.items()})
    ids.update({f"aoss:{k}": v for k, v in estate.collections.items()})
    return {(d, r, ids.get(k, k)) for d, r, k in EXPECTED}


# -- building blocks (the tests use them too) ------------------------------------------


def member_session(account_id: str, region: str = PRIMARY) -> boto3.Session:
    """A session inside another emulated account: moto keeps accounts apart by the assumed
    role's credentials, as AWS does (the role need not exist in the emulator)."""
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/govbot-demo", RoleSessionName="govbot-demo"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def make_endpoint(
    clients: AwsClients,
    region: str,
    name: str,
    variants: list[dict[str, Any]],
    tags: list[dict[str, str]],
    created: datetime,
) -> None:
    sm = clients.sagemaker(region)
    for v in variants:
        model = f"{name}-{v['VariantName']}-model".lower()
        sm.create_model(
            ModelName=model, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE}
        )
        v["ModelName"] = model
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=variants)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags)
    ext.set_endpoint_created(region, name, created, clients.account_id(region))


def make_variant(name: str, instance_type: str, count: int = 1) -> dict[str, Any]:
    return {"VariantName": name, "InstanceType": instance_type, "InitialInstanceCount": count}


def make_traffic(
    clients: AwsClients,
    region: str,
    endpoint: str,
    variant: str,
    now: datetime,
    hours_ago: Iterable[float] = (1, 5, 12),
    value: float = 120.0,
) -> None:
    make_metric(
        clients,
        region,
        "Invocations",
        {"EndpointName": endpoint, "VariantName": variant},
        now,
        hours_ago,
        value,
    )


def make_metric(
    clients: AwsClients,
    region: str,
    metric: str,
    dimensions: dict[str, str],
    now: datetime,
    hours_ago: Iterable[float] = (1,),
    value: float = 1.0,
) -> None:
    """Data points of an AWS/SageMaker metric, as SageMaker publishes them."""
    clients.cloudwatch(region).put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": now - timedelta(hours=ago),
                "Value": value,
                "Unit": "None",
            }
            for ago in hours_ago
        ],
    )


def make_component_endpoint(
    clients: AwsClients,
    region: str,
    name: str,
    instance_type: str,
    instances: int,
    components: list[str],
    created: datetime,
    tags: list[dict[str, str]] | None = None,
    environment: dict[str, str] | None = None,
) -> None:
    """An endpoint that hosts inference components: a variant with instances under managed
    instance scaling and no model of its own; each component deploys one model onto it (or,
    given an ``environment``, a container image run with it)."""
    sm = clients.sagemaker(region)
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": instance_type,
                "InitialInstanceCount": max(instances, 1),
                "ManagedInstanceScaling": {
                    "Status": "ENABLED",
                    "MinInstanceCount": 0,
                    "MaxInstanceCount": max(instances, 1) * 2,
                },
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags or [])
    ext.set_endpoint_created(region, name, created, clients.account_id(region))
    ext.set_variant_instances(region, name, "AllTraffic", instances, clients.account_id(region))
    for component in components:
        model = f"{component}-model"
        sm.create_model(
            ModelName=model, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE}
        )
        sm.create_inference_component(
            InferenceComponentName=component,
            EndpointName=name,
            VariantName="AllTraffic",
            Specification={
                **(
                    {"Container": {"Image": IMAGE, "Environment": environment}}
                    if environment
                    else {"ModelName": model}
                ),
                "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
            },
            RuntimeConfig={"CopyCount": 1},
        )


def make_async_endpoint(
    clients: AwsClients,
    region: str,
    name: str,
    instance_type: str,
    created: datetime,
    tags: list[dict[str, str]] | None = None,
) -> None:
    sm = clients.sagemaker(region)
    model = f"{name}-model"
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE})
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[make_variant("AllTraffic", instance_type) | {"ModelName": model}],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://ml-async/{name}/"}},
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags or [])
    ext.set_endpoint_created(region, name, created, clients.account_id(region))


def make_serverless_endpoint(
    clients: AwsClients,
    region: str,
    name: str,
    memory_mb: int,
    provisioned: int,
    created: datetime,
) -> None:
    sm = clients.sagemaker(region)
    model = f"{name}-model"
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE})
    serverless: dict[str, Any] = {"MemorySizeInMB": memory_mb, "MaxConcurrency": 10}
    if provisioned:
        serverless["ProvisionedConcurrency"] = provisioned
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "ServerlessConfig": serverless}
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    ext.set_endpoint_created(region, name, created, clients.account_id(region))


def make_volume(
    clients: AwsClients,
    region: str,
    az: str,
    size: int,
    vtype: str,
    tags: list[dict[str, str]],
    created: datetime,
    **extra: Any,
) -> str:
    spec = [{"ResourceType": "volume", "Tags": tags}] if tags else []
    vid: str = clients.ec2(region).create_volume(
        AvailabilityZone=az, Size=size, VolumeType=vtype, TagSpecifications=spec, **extra
    )["VolumeId"]
    ext.set_volume_created(region, vid, created, clients.account_id(region))
    return vid


def make_canvas_session(
    clients: AwsClients,
    region: str,
    domain_id: str,
    user: str,
    created: datetime,
    now: datetime,
    inactive: timedelta | None,
) -> str:
    """A user logged in to SageMaker Canvas since ``created`` (its app runs under the user
    profile, AppType Canvas, name "default"), and what Canvas publishes about it: its
    ``TimeSinceLastActive`` in seconds, every ten minutes of the last hour, to the CloudWatch
    namespace /aws/sagemaker/Canvas/AppActivity with DomainId and UserProfileName (AWS's Canvas
    auto-shutdown guide reads the same). ``inactive`` None: no reading at all. Returns govbot's
    id for the app."""
    sm = clients.sagemaker(region)
    users = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    if user not in {u["UserProfileName"] for u in users}:
        sm.create_user_profile(DomainId=domain_id, UserProfileName=user)
    sm.create_app(DomainId=domain_id, UserProfileName=user, AppType="Canvas", AppName="default")
    ext.set_app_activity(
        region, domain_id, f"user/{user}", "Canvas", "default", None, created,
        clients.account_id(region),
    )  # fmt: skip
    if inactive is not None:
        clients.cloudwatch(region).put_metric_data(
            Namespace="/aws/sagemaker/Canvas/AppActivity",
            MetricData=[
                {
                    "MetricName": "TimeSinceLastActive",
                    "Dimensions": [
                        {"Name": "DomainId", "Value": domain_id},
                        {"Name": "UserProfileName", "Value": user},
                    ],
                    "Timestamp": now - timedelta(minutes=ago),
                    "Value": (inactive - timedelta(minutes=ago)).total_seconds(),
                    "Unit": "Seconds",
                }
                for ago in range(0, 60, 10)
            ],
        )
    return f"{domain_id}/user/{user}/Canvas/default"


def make_training_job(
    clients: AwsClients,
    region: str,
    name: str,
    instance_type: str,
    count: int,
    tags: list[dict[str, str]],
    started: datetime | None,
    *,
    max_runtime_hours: float = 120,
    spot: bool = False,
    checkpoints: bool = False,
) -> None:
    extra: dict[str, Any] = {}
    stopping: dict[str, Any] = {"MaxRuntimeInSeconds": int(max_runtime_hours * 3600)}
    if spot:
        extra["EnableManagedSpotTraining"] = True
        stopping["MaxWaitTimeInSeconds"] = int(max_runtime_hours * 3600 * 2)
    if checkpoints:
        extra["CheckpointConfig"] = {"S3Uri": f"s3://ml-artifacts-123456789012/{name}/ckpt"}
    clients.sagemaker(region).create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE_ARN,
        OutputDataConfig={"S3OutputPath": f"s3://ml-artifacts-123456789012/{name}"},
        ResourceConfig={
            "InstanceType": instance_type,
            "InstanceCount": count,
            "VolumeSizeInGB": 100,
        },
        StoppingCondition=stopping,
        Tags=tags,
        **extra,
    )
    if started is not None:
        ext.set_training_job_running(region, name, started, clients.account_id(region))


def make_notebook(
    clients: AwsClients,
    region: str,
    name: str,
    instance_type: str,
    tags: list[dict[str, str]],
    modified: datetime,
    *,
    stopped: bool = False,
) -> None:
    sm = clients.sagemaker(region)
    sm.create_notebook_instance(
        NotebookInstanceName=name, InstanceType=instance_type, RoleArn=ROLE_ARN, Tags=tags
    )
    if stopped:
        sm.stop_notebook_instance(NotebookInstanceName=name)
    ext.set_notebook_modified(region, name, modified, clients.account_id(region))


def idle_shutdown(minutes: int | None, *, off: bool = False) -> dict[str, Any]:
    """A JupyterLab and Code Editor settings block with idle shutdown as given (None: unset)."""
    if minutes is None and not off:
        return {}
    idle: dict[str, Any] = {"LifecycleManagement": "DISABLED" if off else "ENABLED"}
    if minutes is not None:
        idle["IdleTimeoutInMinutes"] = minutes
    block = {"AppLifecycleManagement": {"IdleSettings": idle}}
    return {"JupyterLabAppSettings": block, "CodeEditorAppSettings": block}


def make_studio_domain(
    clients: AwsClients,
    region: str,
    name: str,
    settings: dict[str, Any],
    tags: list[dict[str, str]] | None = None,
) -> str:
    """A Studio domain with these default user settings; returns its id."""
    sm = clients.sagemaker(region)
    sm.create_domain(
        DomainName=name,
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE_ARN, **settings},
        SubnetIds=["subnet-0studio"],
        VpcId="vpc-0studio",
        Tags=tags or [],
    )
    [domain] = [d for d in sm.list_domains()["Domains"] if d["DomainName"] == name]
    return domain["DomainId"]


def make_studio_space(
    clients: AwsClients,
    region: str,
    domain_id: str,
    name: str,
    owner: str,
    settings: dict[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> None:
    """A private JupyterLab space of ``owner`` (its user profile is made if missing)."""
    sm = clients.sagemaker(region)
    users = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    if owner not in {u["UserProfileName"] for u in users}:
        sm.create_user_profile(DomainId=domain_id, UserProfileName=owner)
    sm.create_space(
        DomainId=domain_id,
        SpaceName=name,
        OwnershipSettings={"OwnerUserProfileName": owner},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab", **(settings or {})},
        Tags=tags or [],
    )


def make_studio_app(
    clients: AwsClients,
    region: str,
    domain_id: str,
    space: str,
    app_type: str,
    instance_type: str,
    last_activity: datetime | None,
    created: datetime,
    name: str = "default",
) -> str:
    """A Studio app in a space, running since ``created``, last used at ``last_activity``;
    returns govbot's id for it."""
    clients.sagemaker(region).create_app(
        DomainId=domain_id,
        SpaceName=space,
        AppType=app_type,
        AppName=name,
        ResourceSpec={"InstanceType": instance_type},
    )
    ext.set_app_activity(
        region,
        domain_id,
        f"space/{space}",
        app_type,
        name,
        last_activity,
        created,
        clients.account_id(region),
    )
    return f"{domain_id}/space/{space}/{app_type}/{name}"


def make_instance(
    clients: AwsClients, region: str, az: str, instance_type: str, tags: list[dict[str, str]]
) -> str:
    [instance] = clients.ec2(region).run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": az},
        TagSpecifications=[{"ResourceType": k, "Tags": tags} for k in ("instance", "volume")],
    )["Instances"]
    return str(instance["InstanceId"])


def make_utilisation(
    clients: AwsClients,
    region: str,
    instance_id: str,
    now: datetime,
    busy: dict[int, float],
    *,
    gpu: int | None = 0,
    hours: int = 96,
    host: str | None = None,
) -> None:
    """An hour's utilisation for ``hours`` (1 % unless ``busy`` says otherwise for that many
    hours ago): GPU ``gpu`` from the CloudWatch agent, named by InstanceId or, with ``host``,
    by host name only (no append_dimensions); ``gpu=None``: the instance's CPUUtilization."""
    dims: list[Any]
    if gpu is None:
        namespace, metric = "AWS/EC2", "CPUUtilization"
        dims = [{"Name": "InstanceId", "Value": instance_id}]
    else:
        namespace, metric = "CWAgent", "nvidia_smi_utilization_gpu"
        named = host and {"Name": "host", "Value": host}
        dims = [named or {"Name": "InstanceId", "Value": instance_id}]
        dims.append({"Name": "index", "Value": str(gpu)})
    clients.cloudwatch(region).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": dims,
                "Timestamp": now - timedelta(hours=h, minutes=30),
                "Value": busy.get(h, 1.0),
                "Unit": "Percent",
            }
            for h in range(hours)
        ],
    )


def make_endpoint_load(
    clients: AwsClients,
    region: str,
    endpoint: str,
    variant: str,
    now: datetime,
    *,
    cpu: float,
    gpu: float | None = None,
    calls_per_instance: float = 60.0,
    hours: int = 24 * 8,
) -> None:
    """A variant serving steadily for ``hours``: each hour's CPUUtilization and GPUUtilization
    (summed over cores and GPUs, as SageMaker reports them) and InvocationsPerInstance, and its
    Invocations (so it is not idle)."""
    dims = [
        {"Name": "EndpointName", "Value": endpoint},
        {"Name": "VariantName", "Value": variant},
    ]
    cloudwatch = clients.cloudwatch(region)
    series = [("/aws/sagemaker/Endpoints", "CPUUtilization", cpu)]
    if gpu is not None:
        series.append(("/aws/sagemaker/Endpoints", "GPUUtilization", gpu))
    series += [
        ("AWS/SageMaker", "InvocationsPerInstance", calls_per_instance),
        ("AWS/SageMaker", "Invocations", calls_per_instance),
    ]
    for namespace, metric, value in series:
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": dims,
                    "Timestamp": now - timedelta(hours=h, minutes=30),
                    "Value": value,
                }
                for h in range(hours)
            ],
        )


def make_provisioned_throughput(
    clients: AwsClients,
    region: str,
    name: str,
    tags: list[dict[str, str]],
    created: datetime,
    model: str = "anthropic.claude-instant-v1",
    units: int = 1,
    **kw: Any,
) -> str:
    arn: str = clients.client("bedrock", region).create_provisioned_model_throughput(
        provisionedModelName=name,
        modelId=model,
        modelUnits=units,
        tags=[{"key": t["Key"], "value": t["Value"]} for t in tags],
        **kw,
    )["provisionedModelArn"]
    ext.set_provisioned_created(region, name, created, clients.account_id(region))
    return arn


def make_bedrock_invocations(
    clients: AwsClients, region: str, model_id: str, now: datetime, hours_ago: Iterable[float]
) -> None:
    """AWS/Bedrock Invocations under a model id (a provisioned model's ARN, or a base model)."""
    clients.cloudwatch(region).put_metric_data(
        Namespace="AWS/Bedrock",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "ModelId", "Value": model_id}],
                "Timestamp": now - timedelta(hours=ago),
                "Value": 40.0,
                "Unit": "Count",
            }
            for ago in hours_ago
        ],
    )


def put_hourly(
    clients: AwsClients,
    region: str,
    namespace: str,
    dimensions: dict[str, str],
    now: datetime,
    points: Iterable[tuple[str, float, float, str]],
) -> None:
    """Data points of one resource's metrics, each (metric, hours ago, value, unit), stamped
    half past the hour as CloudWatch's hourly readings are."""
    clients.cloudwatch(region).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": now - timedelta(hours=hours_ago, minutes=30),
                "Value": value,
                "Unit": unit,
            }
            for metric, hours_ago, value, unit in points
        ],
    )


def make_capacity_reservation(
    clients: AwsClients,
    region: str,
    az: str,
    instance_type: str,
    count: int,
    tags: list[dict[str, str]],
    created: datetime,
    *,
    used: int = 0,
    block_ends: datetime | None = None,
    **kw: Any,
) -> str:
    """An On-Demand Capacity Reservation made at ``created`` with ``used`` instances in it
    (``block_ends``: a Capacity Block for ML ending then)."""
    from govbot_emulator import capacity_reservations as cr

    rid: str = clients.ec2(region).create_capacity_reservation(
        InstanceType=instance_type,
        InstancePlatform=kw.pop("platform", "Linux/UNIX"),
        AvailabilityZone=az,
        InstanceCount=count,
        TagSpecifications=[{"ResourceType": "capacity-reservation", "Tags": tags}],
        **kw,
    )["CapacityReservation"]["CapacityReservationId"]
    account = clients.account_id(region)
    cr.set_reservation(region, rid, account, created=created, used=used)
    if block_ends is not None:
        cr.add_capacity_block(region, rid, block_ends, account)
    return rid


def make_reservation_usage(
    clients: AwsClients,
    region: str,
    reservation_id: str,
    now: datetime,
    used: dict[int, float] | None = None,
    hours: int = 48,
) -> None:
    """AWS/EC2CapacityReservations UsedInstanceCount, hourly for ``hours`` (0 unless ``used``
    says otherwise for that many hours ago), as EC2 publishes it for an active reservation."""
    used = used or {}
    points = [("UsedInstanceCount", h, used.get(h, 0.0), "Count") for h in range(hours)]
    dimensions = {"CapacityReservationId": reservation_id}
    put_hourly(clients, region, "AWS/EC2CapacityReservations", dimensions, now, points)


def make_lustre_filesystem(
    clients: AwsClients,
    region: str,
    tags: list[dict[str, str]],
    created: datetime,
    *,
    capacity_gib: int = 1200,
    deployment: str = "PERSISTENT_2",
    throughput: int | None = 125,
    import_path: str | None = None,
) -> str:
    """An FSx for Lustre file system made at ``created`` (``import_path``: linked to S3)."""
    from govbot_emulator import fsx_lustre

    config: dict[str, Any] = {"DeploymentType": deployment}
    if throughput is not None and deployment.startswith("PERSISTENT"):
        config["PerUnitStorageThroughput"] = throughput
    if import_path:
        config["ImportPath"] = import_path
    fid: str = clients.client("fsx", region).create_file_system(
        FileSystemType="LUSTRE",
        StorageCapacity=capacity_gib,
        SubnetIds=["subnet-0a1b2c3d4e5f60718"],
        LustreConfiguration=config,
        Tags=tags,
    )["FileSystem"]["FileSystemId"]
    fsx_lustre.set_file_system_created(region, fid, created, clients.account_id(region))
    return fid


def make_lustre_activity(
    clients: AwsClients,
    region: str,
    file_system_id: str,
    now: datetime,
    busy: dict[int, float] | None = None,
    days: int = 8,
) -> None:
    """AWS/FSx DataReadBytes, DataWriteBytes and MetadataOperations every 6 hours for
    ``days`` (0 unless ``busy`` gives a value for that many hours ago, a multiple of 6)."""
    busy = busy or {}
    points = [
        (metric, h, busy.get(h, 0.0), unit)
        for h in range(0, days * 24, 6)
        for metric, unit in (
            ("DataReadBytes", "Bytes"),
            ("DataWriteBytes", "Bytes"),
            ("MetadataOperations", "Count"),
        )
    ]
    put_hourly(clients, region, "AWS/FSx", {"FileSystemId": file_system_id}, now, points)


def make_search_collection(
    clients: AwsClients,
    region: str,
    name: str,
    tags: list[dict[str, str]],
    created: datetime,
    *,
    kind: str = "VECTORSEARCH",
    standby: str = "ENABLED",
) -> dict[str, str]:
    """An OpenSearch Serverless collection made at ``created``, encrypted with an AWS owned
    key (the encryption policy it needs comes first, as AWS requires); its id and ARN."""
    from govbot_emulator import opensearch_serverless

    aoss = clients.client("opensearchserverless", region)
    aoss.create_security_policy(
        name=f"{name}-enc",
        type="encryption",
        policy=json.dumps(
            {
                "Rules": [{"ResourceType": "collection", "Resource": [f"collection/{name}"]}],
                "AWSOwnedKey": True,
            }
        ),
    )
    made = aoss.create_collection(
        name=name,
        type=kind,
        standbyReplicas=standby,
        tags=[{"key": t["Key"], "value": t["Value"]} for t in tags],
    )["createCollectionDetail"]
    opensearch_serverless.set_collection_created(
        region, made["id"], created, clients.account_id(region)
    )
    return {"id": made["id"], "arn": made["arn"], "name": name}


def make_collection_requests(
    clients: AwsClients,
    region: str,
    made: dict[str, str],
    now: datetime,
    search: dict[int, float] | None = None,
    ingest: dict[int, float] | None = None,
    days: int = 15,
) -> None:
    """AWS/AOSS for a collection: ActiveCollection every 6 hours for ``days``, and
    SearchRequestRate or IngestionRequestRate only for the hours ago given (none published
    where no request came)."""
    dimensions = {
        "ClientId": clients.account_id(region),
        "CollectionId": made["id"],
        "CollectionName": made["name"],
    }
    points = [("ActiveCollection", h, 1.0, "None") for h in range(0, days * 24, 6)]
    points += [("SearchRequestRate", h, v, "Count") for h, v in (search or {}).items()]
    points += [("IngestionRequestRate", h, v, "Count") for h, v in (ingest or {}).items()]
    put_hourly(clients, region, "AWS/AOSS", dimensions, now, points)


def make_knowledge_base(clients: AwsClients, region: str, name: str, collection_arn: str) -> str:
    """A Bedrock knowledge base keeping its vectors in an OpenSearch Serverless collection."""
    kb: str = clients.client("bedrock-agent", region).create_knowledge_base(
        name=name,
        roleArn=ROLE_ARN,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": (
                    f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0"
                )
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": collection_arn,
                "vectorIndexName": f"{name}-index",
                "fieldMapping": {
                    "vectorField": "embedding",
                    "textField": "text",
                    "metadataField": "metadata",
                },
            },
        },
    )["knowledgeBase"]["knowledgeBaseId"]
    return kb


def make_log_group(
    clients: AwsClients,
    region: str,
    name: str,
    stored_gb: float,
    retention: int | None = None,
    tags: dict[str, str] | None = None,
    log_class: str | None = None,
) -> None:
    logs = clients.logs(region)
    extra = {"logGroupClass": log_class} if log_class else {}
    logs.create_log_group(logGroupName=name, tags=tags or {}, **extra)
    if retention:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    ext.set_log_group_stored_bytes(
        region, name, int(stored_gb * 1024**3), clients.account_id(region)
    )


# -- the estate ---------------------------------------------------------------------------


def _seed_primary(clients: AwsClients, now: datetime, estate: Estate) -> None:
    r, day, hour = PRIMARY, timedelta(days=1), timedelta(hours=1)
    az = f"{r}a"

    # Endpoints: busy, idle, idle and untagged, serverless, too young to judge, half busy,
    # exempt, busy through an inference component, busy asynchronously, scaled to zero.
    make_endpoint(
        clients,
        r,
        "fraud-detector-prod",
        [make_variant("AllTraffic", "ml.m5.xlarge", 2)],
        team_tags("fraud"),
        now - 30 * day,
    )
    make_traffic(clients, r, "fraud-detector-prod", "AllTraffic", now)
    make_endpoint(
        clients,
        r,
        "churn-model-staging",
        [make_variant("AllTraffic", "ml.g4dn.xlarge")],
        team_tags("churn", "staging"),
        now - 10 * day,
    )
    make_endpoint(
        clients,
        r,
        "llm-playground",
        [make_variant("AllTraffic", "ml.p3.2xlarge")],
        as_tags(owner="ana"),
        now - 21 * day,
    )
    make_endpoint(
        clients,
        r,
        "recsys-serverless",
        [
            {
                "VariantName": "AllTraffic",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
        team_tags("recsys"),
        now - 40 * day,
    )
    make_endpoint(
        clients,
        r,
        "sentiment-api-new",
        [make_variant("AllTraffic", "ml.c5.xlarge")],
        team_tags("sentiment"),
        now - timedelta(hours=3),
    )
    make_endpoint(
        clients,
        r,
        "ranker-ab-test",
        [make_variant("ModelA", "ml.m5.large"), make_variant("ModelB", "ml.m5.large")],
        team_tags("ranking"),
        now - 12 * day,
    )
    make_traffic(clients, r, "ranker-ab-test", "ModelB", now)
    make_endpoint(
        clients,
        r,
        "vision-benchmark",
        [make_variant("AllTraffic", "ml.g4dn.2xlarge")],
        team_tags("vision", "dev", **{"govbot:exempt": "true"}),
        now - 60 * day,
    )
    # Endpoints whose work shows elsewhere than Invocations per variant, and one that scaled to
    # zero: none of them is waste.
    make_component_endpoint(
        clients,
        r,
        "llm-chat",
        "ml.g4dn.xlarge",
        2,
        ["llm-chat-7b"],
        now - 20 * day,
        team_tags("assistant"),
    )
    make_metric(clients, r, "Invocations", {"InferenceComponentName": "llm-chat-7b"}, now)
    make_async_endpoint(
        clients, r, "doc-ocr-async", "ml.g4dn.xlarge", now - 20 * day, team_tags("ocr")
    )
    make_metric(
        clients, r, "InvocationsProcessed", {"EndpointName": "doc-ocr-async"}, now, value=35
    )
    make_component_endpoint(
        clients,
        r,
        "embeddings-nightly",
        "ml.g4dn.xlarge",
        0,
        ["embed-large"],
        now - 20 * day,
        team_tags("search"),
    )

    # Instances and volumes.
    ec2 = clients.ec2(r)
    gpu = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="g4dn.xlarge",
        Placement={"AvailabilityZone": az},
        TagSpecifications=[
            {"ResourceType": kind, "Tags": team_tags("training-infra")}
            for kind in ("instance", "volume")
        ],
    )
    estate.instances["gpu-worker"] = gpu["Instances"][0]["InstanceId"]
    # GPU boxes up for a week: the worker's GPU is busy at night; the CV box's is idle.
    ext.set_instance_launched(
        r, estate.instances["gpu-worker"], now - 7 * day, clients.account_id(r)
    )
    make_utilisation(clients, r, estate.instances["gpu-worker"], now, {h: 80.0 for h in (3, 27)})
    estate.instances["cv-train-box"] = make_instance(
        clients, r, az, "p3.2xlarge", team_tags("vision", "dev", Name="cv-train-box")
    )
    ext.set_instance_launched(
        r, estate.instances["cv-train-box"], now - 6 * day, clients.account_id(r)
    )
    make_utilisation(clients, r, estate.instances["cv-train-box"], now, {})

    # Capacity reserved for an LLM launch that slipped: a p5.48xlarge nobody has run in for
    # four days. Its look-alikes: reserved g5s both in use overnight, and a p4d reservation
    # cancelled last week (still listed, billing nothing).
    launch = make_capacity_reservation(
        clients, r, az, "p5.48xlarge", 1, team_tags("llm"), now - 4 * day
    )
    estate.reservations["llm-launch-p5"] = launch
    make_reservation_usage(clients, r, launch, now)
    busy = make_capacity_reservation(
        clients, r, az, "g5.2xlarge", 2, team_tags("search"), now - 20 * day, used=2
    )
    estate.reservations["search-g5"] = busy
    make_reservation_usage(clients, r, busy, now, {h: 2.0 for h in range(48)})
    old = make_capacity_reservation(
        clients, r, az, "p4d.24xlarge", 1, team_tags("vision"), now - 30 * day
    )
    clients.ec2(r).cancel_capacity_reservation(CapacityReservationId=old)
    estate.reservations["vision-p4d"] = old

    # FSx for Lustre: 12 TiB of pretraining shards nobody has read since the run ended, and
    # the feature store's file system, read every night.
    shards = make_lustre_filesystem(
        clients, r, team_tags("llm", Name="pretrain-shards"), now - 30 * day, capacity_gib=12000
    )
    estate.file_systems["pretrain-shards"] = shards
    make_lustre_activity(clients, r, shards, now)
    features = make_lustre_filesystem(
        clients, r, team_tags("recs", Name="feature-store"), now - 60 * day, capacity_gib=2400
    )
    estate.file_systems["feature-store"] = features
    make_lustre_activity(clients, r, features, now, {h: 4e9 for h in range(0, 192, 24)})

    # Vector stores: the first RAG prototype's collection, still behind its knowledge base but
    # asked nothing for weeks, and the one the support assistant searches all day.
    v1 = make_search_collection(
        clients, r, "support-rag-v1", team_tags("assistant"), now - 60 * day
    )
    estate.collections["support-rag-v1"] = v1["id"]
    make_collection_requests(clients, r, v1, now)
    make_knowledge_base(clients, r, "support-docs-v1", v1["arn"])
    v2 = make_search_collection(
        clients, r, "support-rag-v2", team_tags("assistant"), now - 20 * day
    )
    estate.collections["support-rag-v2"] = v2["id"]
    make_collection_requests(clients, r, v2, now, search={h: 50.0 for h in range(0, 336, 6)})
    dev = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        Placement={"AvailabilityZone": az},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": as_tags(Name="dev-box", project="")}
        ],
    )
    estate.instances["dev-box"] = dev["Instances"][0]["InstanceId"]
    # Its root volume carries no tags either: a finding of its own.
    estate.volumes["dev-box-root"] = dev["Instances"][0]["BlockDeviceMappings"][0]["Ebs"][
        "VolumeId"
    ]

    attached = make_volume(clients, r, az, 200, "gp3", team_tags("training-infra"), now - 90 * day)
    ec2.attach_volume(
        VolumeId=attached, InstanceId=estate.instances["gpu-worker"], Device="/dev/sdf"
    )
    estate.volumes["attached-data"] = attached
    estate.volumes["old-checkpoints"] = make_volume(
        clients,
        r,
        az,
        500,
        "gp3",
        team_tags("churn", "staging"),
        now - 30 * day,
        Iops=6000,
        Throughput=250,
    )
    estate.volumes["untagged-scratch"] = make_volume(
        clients, r, az, 100, "io2", as_tags(Name="scratch"), now - 14 * day, Iops=10000
    )
    estate.volumes["fresh-detach"] = make_volume(
        clients, r, az, 50, "gp3", team_tags("fraud"), now - 2 * day
    )
    estate.volumes["snoozed"] = make_volume(
        clients,
        r,
        az,
        1000,
        "st1",
        team_tags("vision", **{"govbot:snooze-until": (now + 14 * day).date().isoformat()}),
        now - 45 * day,
    )
    estate.volumes["snooze-expired"] = make_volume(
        clients,
        r,
        az,
        250,
        "gp2",
        team_tags("vision", **{"govbot:snooze-until": (now - 3 * day).date().isoformat()}),
        now - 45 * day,
    )

    # Training jobs: runaway, runaway by its own tag, long but expected, short, finished.
    make_training_job(
        clients,
        r,
        "bert-finetune-large",
        "ml.p3.8xlarge",
        2,
        as_tags(owner="ana"),
        now - timedelta(hours=50),
    )
    make_training_job(
        clients,
        r,
        "resnet-hparam-17",
        "ml.g4dn.xlarge",
        1,
        team_tags("vision", "dev", **{"govbot:expected-hours": "2"}),
        now - timedelta(hours=5),
    )
    make_training_job(
        clients,
        r,
        "llama-pretrain",
        "ml.p4d.24xlarge",
        4,
        team_tags("foundation", **{"govbot:expected-hours": "72"}),
        now - timedelta(hours=60),
    )
    make_training_job(
        clients, r, "xgb-nightly", "ml.m5.xlarge", 1, team_tags("churn"), now - timedelta(hours=2)
    )
    make_training_job(clients, r, "xgb-last-week", "ml.m5.xlarge", 1, [], None)  # Completed

    # Notebooks: one untagged and in use, one tagged and in use, a GPU one nobody has
    # opened for 10 days, and one stopped that long (no instance charge: not idle waste).
    make_notebook(clients, r, "ds-sandbox", "ml.t3.xlarge", [], now - timedelta(hours=3))
    make_notebook(
        clients, r, "fraud-research", "ml.t3.medium", team_tags("fraud", "dev"), now - day
    )
    make_notebook(
        clients, r, "cv-labelling-gpu", "ml.p3.2xlarge", team_tags("vision", "dev"), now - 10 * day
    )
    make_notebook(
        clients,
        r,
        "old-experiments",
        "ml.t3.medium",
        team_tags("churn", "dev"),
        now - 10 * day,
        stopped=True,
    )

    # Bedrock provisioned throughput: one bought for a pilot and never called, one in use.
    make_provisioned_throughput(
        clients, r, "support-assistant-pt", team_tags("assistant", "dev"), now - 12 * day
    )
    busy = make_provisioned_throughput(
        clients, r, "search-rerank-pt", team_tags("search"), now - 30 * day
    )
    make_bedrock_invocations(clients, r, busy, now, hours_ago=[5, 30])

    # Sized for a launch that never came: six instances whose busiest hour used 15% of their
    # CPUs; and a GPU ranker whose GPUs run hot behind a quiet CPU (it keeps its four).
    make_endpoint(
        clients,
        r,
        "recs-ranker",
        [make_variant("AllTraffic", "ml.m5.xlarge", 6)],
        team_tags("recs"),
        now - 40 * day,
    )
    make_endpoint_load(clients, r, "recs-ranker", "AllTraffic", now, cpu=60.0)
    make_endpoint(
        clients,
        r,
        "search-ranker-gpu",
        [make_variant("AllTraffic", "ml.g4dn.xlarge", 4)],
        team_tags("search"),
        now - 40 * day,
    )
    make_endpoint_load(clients, r, "search-ranker-gpu", "AllTraffic", now, cpu=20.0, gpu=90.0)

    # Studio: a domain that never shuts idle apps down, a GPU JupyterLab nobody has touched
    # for three days, one used an hour ago, and Studio Classic's own (free) system app.
    studio = make_studio_domain(clients, r, "ml-studio", {}, team_tags("platform"))
    make_studio_space(clients, r, studio, "ana-gpu", "ana", tags=team_tags("vision", "dev"))
    make_studio_space(clients, r, studio, "ben-notebooks", "ben", tags=team_tags("search", "dev"))
    make_studio_app(
        clients, r, studio, "ana-gpu", "JupyterLab", "ml.g5.xlarge", now - 3 * day, now - 8 * day
    )
    make_studio_app(
        clients, r, studio, "ben-notebooks", "JupyterLab", "ml.t3.medium", now - hour, now - 5 * day
    )
    make_studio_app(
        clients, r, studio, "ben-notebooks", "JupyterServer", "system", now - 9 * day, now - 9 * day
    )

    # Log groups.
    make_log_group(clients, r, "/aws/sagemaker/Endpoints/fraud-detector-prod", 42)
    make_log_group(clients, r, "/aws/sagemaker/TrainingJobs", 310)
    make_log_group(clients, r, "/aws/lambda/govbot-sweep", 0.2, retention=30)
    make_log_group(
        clients, r, "/ml/experiments/audit-trail", 12, tags={"govbot:exempt": "log-retention-gap"}
    )


def _seed_secondary(clients: AwsClients, now: datetime, estate: Estate) -> None:
    r, day = SECONDARY, timedelta(days=1)
    make_endpoint(
        clients,
        r,
        "translation-eu",
        [make_variant("AllTraffic", "ml.c5.2xlarge")],
        team_tags("translation"),
        now - 20 * day,
    )
    make_endpoint(
        clients,
        r,
        "search-eu",
        [make_variant("AllTraffic", "ml.m5.large")],
        team_tags("search"),
        now - 50 * day,
    )
    make_traffic(clients, r, "search-eu", "AllTraffic", now)
    estate.volumes["eu-dataset-cache"] = make_volume(
        clients, r, f"{r}b", 1000, "st1", team_tags("translation"), now - 60 * day
    )
    make_log_group(clients, r, "/aws/sagemaker/Endpoints/translation-eu", 8)
    make_log_group(clients, r, "/aws/sagemaker/Endpoints/search-eu", 3, retention=90)
