"""The whole sweep over the demo estate: findings, exemptions, failures contained, API calls."""

import pytest

from govbot.aws import AwsClients
from govbot.cycle.policy import Policy
from govbot.cycle.sweep import run_sweep
from govbot.detectors import DETECTORS
from govbot_emulator import estate
from tests.helpers.aws_errors import fail_operation

POLICY = Policy(regions=estate.REGIONS)


def keys(report) -> set[tuple[str, str, str]]:
    return {(f.detector, f.region, f.resource_id) for f in report.findings}


def test_sweep_finds_exactly_the_waste_in_the_estate(seeded) -> None:
    report = run_sweep(POLICY, seeded.clients, now=seeded.now)
    assert report.errors == []
    assert keys(report) == seeded.expected
    # exempt endpoint, exempt log group, snoozed volume
    assert report.summary.exempted == 3
    assert report.summary.units_swept == len(DETECTORS) * 2  # every detector, both regions
    # Costliest first: the p5.48xlarge reserved for nothing.
    assert report.findings[0].resource_id == seeded.estate.reservations["llm-launch-p5"]


def test_every_finding_is_complete(seeded) -> None:
    report = run_sweep(POLICY, seeded.clients, now=seeded.now)
    # A detector names a resource once: the digests' tally counts each resource once on it.
    named = [(f.detector, f.resource_arn) for f in report.findings]
    assert len(set(named)) == len(named)
    for f in report.findings:
        assert f.account_id == "123456789012"
        assert f.resource_arn.startswith("arn:aws:")
        assert f.region in f.resource_arn
        assert f.monthly_cost_usd is not None
        assert f.monthly_cost_usd >= 0
        assert f.reason
        assert f.proposed_action
        assert f.details["cost_basis"]


def test_every_finding_carries_exactly_its_detectors_typed_details(seeded) -> None:
    from pydantic import ConfigDict

    from govbot.detectors import DETECTORS

    report = run_sweep(POLICY, seeded.clients, now=seeded.now)
    for f in report.findings:
        model = DETECTORS[f.detector].details_model
        strict = type("Strict", (model,), {"model_config": ConfigDict(extra="forbid")})
        strict.model_validate(f.details)  # no key the model does not name
        assert set(f.details) == set(model.model_fields)
        # ...and is of a kind its detector declares (the budget's scope is derived from them).
        assert f.resource_type in DETECTORS[f.detector].kinds, (f.detector, f.resource_type)


def test_one_failing_region_and_detector_does_not_stop_the_rest(seeded) -> None:
    fail_operation(
        seeded.clients, "logs", "DescribeLogGroups", "eu-west-1", "AccessDeniedException"
    )
    report = run_sweep(POLICY, seeded.clients, now=seeded.now)
    assert [(e.region, e.detector, e.code) for e in report.errors] == [
        ("eu-west-1", "log-retention-gap", "AccessDeniedException")
    ]
    missing = {k for k in seeded.expected if k[0] == "log-retention-gap" and k[1] == "eu-west-1"}
    assert keys(report) == seeded.expected - missing
    assert report.summary.units_failed == 1
    assert not report.nothing_swept


def test_throttling_past_retries_is_reported_not_raised(seeded) -> None:
    clients = AwsClients(max_attempts=2)
    fail_operation(clients, "sagemaker", "ListEndpoints", "us-east-1", "ThrottlingException")
    report = run_sweep(POLICY, clients, now=seeded.now)
    failed = {(e.region, e.detector) for e in report.errors}
    # The detectors that list endpoints fail in us-east-1; eu-west-1 is untouched.
    assert failed == {
        ("us-east-1", "idle-endpoint"),
        ("us-east-1", "overprovisioned-endpoint"),
        ("us-east-1", "untagged-resource"),
    }
    assert ("idle-endpoint", "eu-west-1", "translation-eu") in keys(report)


def test_nothing_swept_when_credentials_fail(seeded) -> None:
    clients = AwsClients()
    fail_operation(clients, "sts", "GetCallerIdentity", "us-east-1", "InvalidClientTokenId", 403)
    report = run_sweep(POLICY, clients, now=seeded.now)
    assert report.nothing_swept
    assert {e.code for e in report.errors} == {"InvalidClientTokenId"}
    assert report.findings == []


def test_disabled_detectors_do_not_run(seeded) -> None:
    policy = Policy.model_validate(
        {
            "regions": estate.REGIONS,
            "detectors": {d: {"enabled": False} for d in DETECTORS if d != "log-retention-gap"},
        }
    )
    report = run_sweep(policy, seeded.clients, now=seeded.now)
    assert {f.detector for f in report.findings} == {"log-retention-gap"}
    assert not any(op.startswith(("sagemaker.", "ec2.", "cloudwatch.")) for op in report.api_calls)


def test_api_calls_are_few_and_counted(seeded) -> None:
    report = run_sweep(POLICY, seeded.clients, now=seeded.now)
    calls = report.api_calls
    # One listing per region per resource type, whatever number of detectors read it.
    for op in (
        "sagemaker.ListEndpoints",
        "ec2.DescribeVolumes",
        "ec2.DescribeInstances",
        "logs.DescribeLogGroups",
        "sagemaker.ListTrainingJobs",
        "sagemaker.ListNotebookInstances",
        "ec2.DescribeCapacityReservations",
        "fsx.DescribeFileSystems",
        "opensearchserverless.ListCollections",
    ):
        assert calls[op] == 2, op
    # Metrics 500 to a call: the endpoints' traffic in each region, and in us-east-1 the GPU
    # instances' utilisation, the provisioned throughputs' invocations (some are old enough to
    # judge there), the utilisation of the variants with more instances than the floor, the
    # use of the reservations with capacity free, the Lustre file systems' activity and the
    # collections' requests.
    assert calls["cloudwatch.GetMetricData"] == 8
    # Collections' details 100 to a call where there are some; the knowledge bases read once
    # (each one's storage by GetKnowledgeBase: the listing does not say it), for the one idle.
    assert calls["opensearchserverless.BatchGetCollection"] == 1
    assert calls["bedrock-agent.ListKnowledgeBases"] == 1
    assert calls["bedrock-agent.GetKnowledgeBase"] == 1
    assert calls["opensearchserverless.ListTagsForResource"] == 1
    # The S3 links of the Lustre file system found idle: one call for the region's.
    assert calls["fsx.DescribeDataRepositoryAssociations"] == 1
    # Those variants' instance types in one DescribeInstanceTypes, and the auto-scaled
    # variants in one listing, only where such a variant is (us-east-1).
    assert calls["ec2.DescribeInstanceTypes"] == 1
    assert calls["application-autoscaling.DescribeScalableTargets"] == 1
    # Provisioned throughputs listed once a region; tags read for the one found idle.
    assert calls["bedrock.ListProvisionedModelThroughputs"] == 2
    assert calls["bedrock.ListTagsForResource"] == 1
    # The notebook unused by its own dates: its opens and starts looked up in the event
    # history, one lookup per call name (LookupEvents takes one attribute a call).
    assert calls["cloudtrail.LookupEvents"] == 2
    # Tags in bulk: one GetResources per region for SageMaker, one for logs, and one for the
    # training jobs in progress by ARN (us-east-1 has some, eu-west-1 none). ListTags only for
    # the Studio resources found: the idle app and its space, and the domain.
    assert calls["resourcegroupstaggingapi.GetResources"] == 5
    assert calls["sagemaker.ListTags"] == 3
    # Studio: domains listed in each region; where one is (us-east-1), its user profiles,
    # spaces and apps listed once, each profile and space described (no bulk read carries
    # their settings), and only the work apps old enough to have idled described.
    assert calls["sagemaker.ListDomains"] == 2
    for op in ("ListUserProfiles", "ListSpaces", "ListApps", "DescribeDomain"):
        assert calls[f"sagemaker.{op}"] == 1, op
    for op in ("DescribeUserProfile", "DescribeSpace", "DescribeApp"):
        assert calls[f"sagemaker.{op}"] == 2, op
    # Describes only for what is left to judge: the configs of endpoints that did no work
    # (idle, serverless, scaled to zero or exempt: 5 + 1; the busy ones of any kind never)
    # and of the two with more instances than the floor (their instance types are in the
    # config). What DescribeEndpoint would say comes from one SageMaker Search a region, a
    # hundred endpoints a page, and the training jobs in progress from one more where there
    # are some (us-east-1): no DescribeEndpoint, no DescribeTrainingJob.
    assert calls["sagemaker.Search"] == 3
    assert calls["sagemaker.DescribeEndpointConfig"] == 8
    assert "sagemaker.DescribeEndpoint" not in calls
    assert "sagemaker.DescribeTrainingJob" not in calls
    # One listing per traffic metric (Invocations, async work, async backlog) per region, one
    # per GPU metric (agent, DCGM) where GPU instances are judged, one of Bedrock invocations
    # where throughputs are, and the inference components once per region.
    assert calls["cloudwatch.ListMetrics"] == 9
    assert calls["sagemaker.ListInferenceComponents"] == 2
    assert calls["sts.GetCallerIdentity"] == 1
    assert calls["ec2.DescribeSnapshots"] == 2  # govbot's own snapshots, 1,000 a page
    assert sum(calls.values()) == 83


def test_no_region_anywhere_is_a_clear_error(account, monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    from govbot.cycle.policy import PolicyError

    with pytest.raises(PolicyError, match="no region to sweep"):
        run_sweep(Policy(), AwsClients())


def test_a_unit_failing_transiently_is_tried_once_more_before_it_is_reported(seeded) -> None:
    unavailable = ("ServiceUnavailable", 503)
    made = fail_operation(
        seeded.clients, "sagemaker", "ListEndpoints", "us-east-1", *unavailable, times=1
    )
    policy = Policy(regions=["us-east-1"])
    report = run_sweep(policy, seeded.clients, now=seeded.now)
    assert report.errors == []  # the endpoint detectors' second try found everything
    assert {k for k in keys(report) if k[0] == "idle-endpoint"} == {
        k for k in seeded.expected if k[0] == "idle-endpoint" and k[1] == "us-east-1"
    }
    assert made["calls"] == 2  # the failed listing, once more (the inventory keeps successes)


def test_a_refusal_is_reported_without_trying_again(seeded) -> None:
    denied = ("AccessDeniedException", 400)
    made = fail_operation(seeded.clients, "sagemaker", "ListEndpoints", "us-east-1", *denied)
    report = run_sweep(Policy(regions=["us-east-1"]), seeded.clients, now=seeded.now)
    failed = {(e.detector, e.code) for e in report.errors}
    assert ("idle-endpoint", "AccessDeniedException") in failed
    # Each of the three detectors that list endpoints asked once (a failed listing is not
    # kept), and none was tried again: a refusal stands.
    assert made["calls"] == 3


def test_a_kind_is_not_listed_where_aws_does_not_offer_its_service(clients) -> None:
    """OpenSearch Serverless is not offered in me-south-1, Bedrock not in ap-east-1
    (botocore's endpoint data): their detectors find nothing there and fail nowhere, instead
    of waiting on an endpoint that does not resolve every night."""
    offered = clients.offers
    assert not offered("opensearchserverless", "me-south-1")
    assert not offered("bedrock", "ap-east-1")
    assert offered("sagemaker", "me-south-1")
    assert offered("bedrock-agent", "me-south-1")  # no regions in the data: assumed offered
    assert offered("opensearchserverless", "xx-future-1")  # a region newer than botocore
    report = run_sweep(Policy(regions=["me-south-1", "ap-east-1"]), clients)
    assert report.errors == []
    assert clients.calls["opensearchserverless.ListCollections"] == 1  # ap-east-1 only
    assert clients.calls["bedrock.ListProvisionedModelThroughputs"] == 1  # me-south-1 only
    assert clients.calls["sagemaker.ListEndpoints"] == 2
