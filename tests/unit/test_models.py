import pytest

from govbot.cycle.models import Finding, SweepReport
from govbot.detectors.runaway_training_job import RunawayTrainingJobSettings, runtime_limit


def finding(detector: str, arn: str, cost: float | None) -> Finding:
    return Finding(
        detector=detector,
        resource_id=arn.rsplit("/", 1)[-1],
        resource_arn=arn,
        resource_type="AWS::SageMaker::Endpoint",
        region="us-east-1",
        account_id="123456789012",
        monthly_cost_usd=cost,
        reason="r",
        proposed_action="p",
    )


def build(findings: list[Finding]) -> SweepReport:
    return SweepReport.build(
        findings=findings,
        errors=[],
        api_calls={},
        regions=["us-east-1"],
        detector_ids=["idle-endpoint", "untagged-resource"],
        exempted=0,
        units_swept=2,
        units_failed=0,
    )


def test_total_counts_each_resource_once() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/a"
    report = build(
        [
            finding("idle-endpoint", arn, 100.0),
            finding("untagged-resource", arn, 100.0),
            finding("idle-endpoint", arn + "b", None),
        ]
    )
    assert report.summary.total_monthly_cost_usd == 100.0
    assert report.summary.by_detector["idle-endpoint"].monthly_cost_usd == 100.0
    assert report.summary.by_detector["idle-endpoint"].unpriced == 1
    assert report.summary.findings == 3


def test_costliest_first_and_unpriced_last() -> None:
    report = build(
        [
            finding("idle-endpoint", "arn:x/a", 5.0),
            finding("idle-endpoint", "arn:x/b", None),
            finding("idle-endpoint", "arn:x/c", 50.0),
        ]
    )
    assert [f.resource_id for f in report.findings] == ["c", "a", "b"]


def test_finding_id_is_stable_and_per_detector() -> None:
    a = finding("idle-endpoint", "arn:x/a", 1.0)
    assert a.finding_id == finding("idle-endpoint", "arn:x/a", 2.0).finding_id
    assert a.finding_id != finding("untagged-resource", "arn:x/a", 1.0).finding_id
    assert a.finding_id.startswith("idle-endpoint-")


def test_runtime_limit_tag_replaces_the_global_limit() -> None:
    settings = RunawayTrainingJobSettings()
    assert runtime_limit({}, settings)[0] == 24
    assert runtime_limit({"govbot:expected-hours": "72"}, settings)[0] == 144
    assert runtime_limit({"govbot:expected-hours": "1.5"}, settings)[0] == 3


def test_runtime_limit_ignores_an_unusable_tag_and_says_so() -> None:
    settings = RunawayTrainingJobSettings(max_runtime_hours=10)
    for bad in ("abc", "-3", "0"):
        hours, source = runtime_limit({"govbot:expected-hours": bad}, settings)
        assert hours == 10
        assert "not a positive number" in source


def test_every_restorable_resource_type_has_a_restorer_and_no_other() -> None:
    from govbot.actions import restorable
    from govbot.kinds import RESOURCE_TYPES

    # Each fix carries its undo: the kinds the actions' undos cover are the kinds marked.
    assert restorable() == {t for t, rt in RESOURCE_TYPES.items() if rt.restorable}


def test_the_command_line_restores_every_restorable_kind() -> None:
    from govbot.cli.restoring import restore_app
    from govbot.kinds import RESOURCE_TYPES

    commands = {c.name for c in restore_app.registered_commands}
    assert commands == {rt.kind for rt in RESOURCE_TYPES.values() if rt.restorable}


def test_every_action_s_resource_types_know_their_gone_codes() -> None:
    from govbot.kinds import RESOURCE_TYPES

    assert all(rt.gone_codes for rt in RESOURCE_TYPES.values())


@pytest.mark.parametrize(
    ("call", "request_params", "response", "expected"),
    [
        # CreateDomain's request has no id yet: the response's ARN gives it.
        ("sagemaker:CreateDomain", {"domainName": "ml"},
         {"domainArn": "arn:aws:sagemaker:us-east-1:123456789012:domain/d-abc123"}, "d-abc123"),
        ("sagemaker:UpdateDomain", {"domainId": "d-abc123"}, {}, "d-abc123"),
        # Ids within a domain join the domain and the name.
        ("sagemaker:UpdateUserProfile", {"domainId": "d-abc", "userProfileName": "ana"}, {},
         "d-abc/ana"),
        ("sagemaker:CreateSpace", {"domainId": "d-abc", "spaceName": "lab"}, {}, "d-abc/lab"),
        ("sagemaker:CreateSpace", {"domainId": "d-abc"}, {}, None),  # half an id is none
    ],
)  # fmt: skip
def test_cloudtrail_calls_name_studio_resources(call, request_params, response, expected) -> None:
    from govbot.kinds import cloudtrail_call

    found = cloudtrail_call(call)
    assert found is not None
    assert found[1].resource_id(request_params, response) == expected


def test_a_cost_anomaly_sweeps_exactly_the_detectors_that_judge_its_services_kinds() -> None:
    """Derived from what each detector declares it judges and what bills each kind: no map to
    go stale. EC2 sweeps idle GPU instances too; Bedrock only its own detector."""
    from govbot.handlers.budget import Breach

    def sweeps(*services: str) -> set[str] | None:
        found = Breach(source="anomaly", key="k", title="t", services=list(services)).detectors
        return None if found is None else set(found)

    assert sweeps("Amazon Elastic Compute Cloud - Compute") == {
        "idle-gpu-instance",
        "orphaned-volume",
        "expired-snapshot",
        "untagged-resource",
        "unused-capacity-reservation",
    }
    assert sweeps("EC2 - Other") == sweeps("Amazon Elastic Compute Cloud - Compute")
    assert sweeps("Amazon Bedrock") == {"idle-provisioned-throughput"}
    assert sweeps("AmazonCloudWatch") == {"log-retention-gap"}
    assert sweeps("Amazon SageMaker", "Amazon Bedrock") == sweeps("Amazon SageMaker") | {
        "idle-provisioned-throughput"
    }
    assert sweeps("Amazon Simple Storage Service") is None  # unknown: sweep everything


def test_every_detector_declares_kinds_govbot_knows() -> None:
    from govbot.detectors import DETECTORS
    from govbot.kinds import RESOURCE_TYPES

    for det_id, det in DETECTORS.items():
        assert det.kinds, det_id
        assert set(det.kinds) <= set(RESOURCE_TYPES), det_id
