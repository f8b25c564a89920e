"""The organisation sweep's state machine definition (ASL), as the template deploys it."""

import json
import re
from pathlib import Path

import pytest

from scripts.asl_definition import definition
from tests.unit.test_template import CfnLoader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def machine() -> dict:
    import yaml

    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    return template["Resources"]["OrgSweepStateMachine"]


@pytest.fixture(scope="module")
def asl(machine) -> dict:
    text = (ROOT / machine["Properties"]["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(machine["Properties"]["DefinitionSubstitutions"])
    return json.loads(definition())  # as `make validate` hands it to asl-validator


def test_plan_then_a_distributed_map_then_one_digest(asl) -> None:
    states = asl["States"]
    assert asl["StartAt"] == "Plan"
    assert states["Plan"]["Next"] == "SweepEach"
    assert states["SweepEach"]["Next"] == "Digest"
    assert states["Digest"]["End"] is True
    assert states["Plan"]["Parameters"]["Payload"] == {"run_id.$": "$$.Execution.Name"}


def test_the_map_is_distributed_bounded_and_tolerant(asl) -> None:
    sweep = asl["States"]["SweepEach"]
    assert sweep["Type"] == "Map"
    assert sweep["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert sweep["ItemsPath"] == "$.targets"
    # One item per account; the regions and the run id ride along once, not per item (Step
    # Functions caps a state's data at 256 KB: 300 accounts x 17 regions as items would not fit).
    assert sweep["ItemSelector"] == {
        "account_id.$": "$$.Map.Item.Value.account_id",
        "regions.$": "$.regions",
        "run_id.$": "$.run_id",
    }
    assert asl["States"]["Plan"]["ResultSelector"]["regions.$"] == "$.Payload.regions"
    assert sweep["MaxConcurrency"] == 100  # template.yaml's default
    assert sweep["ToleratedFailurePercentage"] == 10
    assert sweep["ResultPath"] == "$.results"
    one = sweep["ItemProcessor"]["States"]["SweepOne"]
    assert (
        one["Parameters"]["FunctionName"]
        == "arn:aws:lambda:us-east-1:123456789012:function:SweepWorkerFunctionArn"
    )
    assert "Lambda.TooManyRequestsException" in one["Retry"][0]["ErrorEquals"]


def test_the_digest_gets_the_start_time_the_regions_and_every_result(asl) -> None:
    payload = asl["States"]["Digest"]["Parameters"]["Payload"]
    assert payload == {"started.$": "$.started", "regions.$": "$.regions", "results.$": "$.results"}


def test_single_account_installs_skip_the_fan_out(machine) -> None:
    import yaml

    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    assert machine["Condition"] == "IsFanOut"
    target = template["Resources"]["NightlySchedule"]["Properties"]["Target"]["Arn"]
    assert target == {
        "If": ["IsFanOut", {"Ref": "OrgSweepStateMachine"}, {"GetAtt": "SweepFunction.Arn"}]
    }
    props = template["Resources"]["NightlySchedule"]["Properties"]
    assert props["ScheduleExpressionTimezone"] == {"Ref": "SweepTimezone"}


def test_the_map_writes_its_results_to_a_private_bucket_the_digest_reads(asl, machine) -> None:
    """At thousands of accounts the results would pass Step Functions' 256 KB state limit:
    the Map writes them to S3 and hands the digest where they are."""
    import yaml

    writer = asl["States"]["SweepEach"]["ResultWriter"]
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"] == {
        "Bucket": "govbot-org-sweep-results",
        "Prefix": "org-sweep-results",
    }
    subs = machine["Properties"]["DefinitionSubstitutions"]
    assert subs["ResultsBucketName"] == {"Ref": "OrgSweepResultsBucket"}
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    bucket = template["Resources"]["OrgSweepResultsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] <= 30
    policy = template["Resources"]["OrgSweepResultsBucketPolicy"]["Properties"]["PolicyDocument"]
    [tls] = policy["Statement"]
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    # The state machine writes only there; the digest only reads there.
    [write] = [
        st
        for doc in machine["Properties"]["Policies"]
        if isinstance(doc, dict) and "Statement" in doc
        for st in doc["Statement"]
        if st["Sid"] == "WriteMapResults"
    ]
    assert write["Resource"] == {"Sub": "${OrgSweepResultsBucket.Arn}/org-sweep-results/*"}
    digest = template["Resources"]["OrgDigestFunction"]["Properties"]
    [read] = [
        st["If"][1]
        for st in digest["Policies"][0]["Statement"]
        if isinstance(st, dict) and "If" in st and st["If"][1].get("Sid") == "ReadMapResults"
    ]
    assert (read["Action"], read["Resource"]) == (
        "s3:GetObject",
        {"Sub": "${OrgSweepResultsBucket.Arn}/org-sweep-results/*"},
    )
