"""The organisation sweep in moto: the plan, a member account swept through its role, one digest."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from govbot.aws import AwsClients
from govbot.cycle.contracts import RemediationRequest, State
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import member_session
from tests.conftest import FakeLambdaContext, load_event, load_function

MANAGEMENT = "123456789012"


@pytest.fixture
def organization(account):
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    ml = orgs.create_organizational_unit(ParentId=root, Name="ml")["OrganizationalUnit"]["Id"]
    research = orgs.create_organizational_unit(ParentId=ml, Name="research")["OrganizationalUnit"][
        "Id"
    ]
    ids = {}
    for name, parent, tags in (
        ("ml-prod", ml, {"govbot": "on"}),
        ("ml-research", research, {"govbot": "on"}),
        ("ml-sandbox", ml, {"govbot": "off"}),
        ("finance", root, {}),
    ):
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")[
            "CreateAccountStatus"
        ]
        ids[name] = status["AccountId"]
        orgs.move_account(AccountId=ids[name], SourceParentId=root, DestinationParentId=parent)
        if tags:
            orgs.tag_resource(
                ResourceId=ids[name], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            )
    return {"ou": ml, "accounts": ids}


def put_policy(text: str) -> None:
    AwsClients().ssm("us-east-1").put_parameter(
        Name="/govbot/policy", Value=text, Type="String", Overwrite=True
    )


@pytest.fixture
def fan_env(store, monkeypatch):
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("GOVBOT_EXTERNAL_ID", "ext-4f2b9c")
    monkeypatch.setenv("DRY_RUN", "false")


def test_plan_takes_the_ous_accounts_with_the_tags_times_regions(organization, fan_env) -> None:
    ou = organization["ou"]
    put_policy(
        f"regions: [us-east-1, eu-west-1]\norganization:\n  organizational_units: [{ou}]\n"
        "  account_tags: {govbot: 'on'}\n"
    )
    planned = load_function("plan")({"run_id": "run-1"}, FakeLambdaContext())
    ids = organization["accounts"]
    assert [t["account_id"] for t in planned["targets"]] == sorted(
        ids[a] for a in ("ml-prod", "ml-research")
    )
    assert planned["regions"] == ["us-east-1", "eu-west-1"]
    assert planned["run_id"] == "run-1"
    # Small at organisation scale: one short item per account, the regions once.
    assert all(set(t) == {"account_id"} for t in planned["targets"])


def test_plan_takes_an_explicit_list_and_excludes(organization, fan_env) -> None:
    put_policy(
        "regions: [us-east-1]\norganization:\n  accounts: ['111111111111', '222222222222']\n"
        "  exclude_accounts: ['222222222222']\n"
    )
    planned = load_function("plan")(load_event("plan.json"), FakeLambdaContext())
    assert [t["account_id"] for t in planned["targets"]] == ["111111111111"]
    assert planned["run_id"] == load_event("plan.json")["run_id"]


def test_plan_without_regions_takes_every_enabled_region(organization, fan_env) -> None:
    put_policy("organization:\n  accounts: ['111111111111']\n")
    planned = load_function("plan")({"run_id": "r"}, FakeLambdaContext())
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(planned["regions"])


def test_the_worker_sweeps_a_member_account_through_its_role(
    account, fan_env, remediation_queue, store
) -> None:
    member = "444455556666"
    session = member_session(member)
    session.client("logs").create_log_group(logGroupName="/ml/member-app")
    vid = session.client("ec2").create_volume(AvailabilityZone="us-east-1a", Size=100)["VolumeId"]
    ext.set_volume_created("us-east-1", vid, datetime.now(UTC) - timedelta(days=30), account=member)
    AwsClients().logs("us-east-1").create_log_group(logGroupName="/mgmt/app")  # not the member's
    put_policy("regions: [us-east-1]\ndetectors:\n  log-retention-gap: {mode: auto}\n")

    event = load_event("sweep-worker.json")
    assert event["account_id"] == member
    summary = load_function("sweep_worker")(event, FakeLambdaContext())
    assert summary["account_id"] == member
    found = {
        sf.finding.resource_id: sf for sf in store.in_scope(member, "us-east-1", "orphaned-volume")
    }
    assert vid in found
    logs = store.in_scope(member, "us-east-1", "log-retention-gap")
    assert [sf.finding.resource_id for sf in logs] == ["/ml/member-app"]
    # The auto fix is queued with the member account, for the worker to act through its role.
    [queued_request] = [RemediationRequest.model_validate(m) for m in _queued(remediation_queue)]
    assert queued_request.account_id == member

    # The remediation worker acts in the member account, not the management one.
    context = FakeLambdaContext()
    event = {
        "Records": [
            {
                "messageId": "m0",
                "receiptHandle": "r",
                "body": queued_request.model_dump_json(),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "x",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": "x",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
        ]
    }
    assert load_function("remediate")(event, context) == {"batchItemFailures": []}
    [group] = session.client("logs").describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 30
    assert store.get(logs[0].finding_id).state is State.REMEDIATED


def test_member_clients_use_the_external_id_and_name_the_run(account) -> None:
    from govbot.cycle.org import member_clients

    clients = member_clients("444455556666", "govbot-sweep", "ext-4f2b9c", "run-7")
    who = clients.sts("us-east-1").get_caller_identity()
    assert who["Account"] == "444455556666"
    assert who["Arn"].endswith(":assumed-role/govbot-sweep/govbot-run-7")


def test_a_member_that_cannot_be_swept_fails_its_map_item(
    account, fan_env, store, monkeypatch
) -> None:
    put_policy("regions: [us-east-1]\n")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    from govbot.cycle import org as org_module

    def no_role(account_id, *_a, **_k):
        from botocore.exceptions import ClientError

        clients = AwsClients(role_arn=f"arn:aws:iam::{account_id}:role/govbot-sweep")

        def refuse(_base):
            raise ClientError(
                {
                    "Error": {
                        "Code": "AccessDenied",
                        "Message": "not authorized to perform sts:AssumeRole",
                    }
                },
                "AssumeRole",
            )

        clients._assume_role = refuse
        return clients

    monkeypatch.setattr(org_module, "member_clients", no_role)
    with pytest.raises(RuntimeError, match="AccessDenied"):
        load_function("sweep_worker")(
            {"account_id": "999988887777", "regions": ["us-east-1"], "run_id": "r"},
            FakeLambdaContext(),
        )


def test_one_digest_for_the_organisation(account, fan_env, store, slack, slack_secret) -> None:
    put_policy("regions: [us-east-1]\nslack: {channel: C0ORG}\n")
    started = datetime.now(UTC)
    for member in ("444455556666", "777788889999"):
        member_session(member).client("logs").create_log_group(logGroupName=f"/ml/{member}")
        load_function("sweep_worker")(
            {"account_id": member, "regions": ["us-east-1"], "run_id": "r"}, FakeLambdaContext()
        )
    sample = load_event("org-digest.json")  # the shape a Map hands over, failures included
    assert {"Error", "Cause"} <= set(sample["results"][-1])
    results = [
        {"account_id": "444455556666", "findings": 1},
        {"account_id": "777788889999", "findings": 1},
        sample["results"][-1],  # 777788889999 us-east-1: AccessDenied: ...
        # As Step Functions hands over a Lambda error: the Cause is the error's JSON.
        {
            "Error": "RuntimeError",
            "Cause": '{"errorMessage": "111122223333 eu-west-1: ThrottlingException: Rate '
            'exceeded", "errorType": "RuntimeError"}',
        },
    ]
    digest = load_function("org_digest")(
        {"started": started.isoformat(), "regions": ["us-east-1"], "results": results},
        FakeLambdaContext(),
    )
    assert digest["targets_swept"] == 2
    assert digest["targets_failed"] == 2
    assert digest["failures"] == {
        "count": 2,
        "by_error": {"AccessDenied": 1, "ThrottlingException": 1},
        "accounts": ["777788889999 (AccessDenied)", "111122223333 (ThrottlingException)"],
    }
    [post] = slack.posted("chat.postMessage")
    assert "across 2 accounts" in post["text"]
    assert "2 account(s) not swept (AccessDenied 1, ThrottlingException 1)" in post["text"]


def _queued(url):
    from tests.conftest import queued

    return queued(url)


def written_results(bucket: str, run: str, succeeded: list[Any], failed: list[Any]) -> dict:
    """What a Distributed Map with a ResultWriter leaves: its result files and manifest in S3,
    in the shapes the Step Functions Developer Guide gives ("ResultWriter (Map)"), and the
    Map's output naming the manifest."""
    s3 = AwsClients().client("s3", "us-east-1")
    prefix = f"org-sweep-results/{run}"
    arn = f"arn:aws:states:us-east-1:123456789012:mapRun:govbot-org-sweep/{run}:{run}"

    def execution(i: int, **fields: Any) -> dict:
        return {
            "ExecutionArn": f"{arn}/{i}",
            "Name": str(i),
            "StartDate": "2026-12-06T02:00:00.000Z",
            "StopDate": "2026-12-06T02:00:09.000Z",
            "StateMachineArn": arn,
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
            **fields,
        }

    files = {
        "SUCCEEDED": [
            execution(i, Status="SUCCEEDED", Input="{}", Output=json.dumps(out))
            for i, out in enumerate(succeeded)
        ],
        "FAILED": [
            execution(100 + i, Status="FAILED", Input="{}", **err) for i, err in enumerate(failed)
        ],
    }
    manifest = {"DestinationBucket": bucket, "MapRunArn": arn, "ResultFiles": {"PENDING": []}}
    for status, executions in files.items():
        key = f"{prefix}/{status}_0.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(executions).encode())
        manifest["ResultFiles"][status] = [{"Key": key, "Size": len(json.dumps(executions))}]
    s3.put_object(Bucket=bucket, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest))
    return {
        "MapRunArn": arn,
        "ResultWriterDetails": {"Bucket": bucket, "Key": f"{prefix}/manifest.json"},
    }


def test_the_digest_reads_the_results_the_map_wrote_to_s3(
    account, fan_env, store, slack, slack_secret, monkeypatch
) -> None:
    put_policy("regions: [us-east-1]\nslack: {channel: C0ORG}\n")
    s3 = AwsClients().client("s3", "us-east-1")
    s3.create_bucket(Bucket="govbot-org-results")
    monkeypatch.setenv("MAP_RESULTS_BUCKET", "govbot-org-results")
    member_session("444455556666").client("logs").create_log_group(logGroupName="/ml/a")
    load_function("sweep_worker")(
        {"account_id": "444455556666", "regions": ["us-east-1"], "run_id": "r"}, FakeLambdaContext()
    )
    denied = {
        "Error": "RuntimeError",
        "Cause": json.dumps(
            {"errorMessage": "777788889999 us-east-1: AccessDenied: no", "errorType": "E"}
        ),
    }
    handed = written_results(
        "govbot-org-results", "run-1", [{"account_id": "444455556666", "findings": 1}], [denied]
    )
    digest = load_function("org_digest")(
        {"started": datetime.now(UTC).isoformat(), "regions": ["us-east-1"], "results": handed},
        FakeLambdaContext(),
    )
    assert (digest["targets_swept"], digest["targets_failed"], digest["findings"]) == (1, 1, 1)
    assert digest["failures"]["accounts"] == ["777788889999 (AccessDenied)"]


def test_the_digest_reads_no_other_bucket_than_its_own(
    account, fan_env, store, monkeypatch
) -> None:
    put_policy("regions: [us-east-1]\n")
    s3 = AwsClients().client("s3", "us-east-1")
    s3.create_bucket(Bucket="someone-elses")
    monkeypatch.setenv("MAP_RESULTS_BUCKET", "govbot-org-results")
    handed = written_results("someone-elses", "run-2", [], [])
    from govbot.handlers.org_digest import ResultsElsewhere

    with pytest.raises(ResultsElsewhere, match="reads only govbot-org-results"):
        load_function("org_digest")(
            {"started": datetime.now(UTC).isoformat(), "regions": ["us-east-1"], "results": handed},
            FakeLambdaContext(),
        )


def test_the_organisation_digest_counts_an_endpoint_two_detectors_flag_once(store) -> None:
    """Read from the state table (findings in several states and index shards), an endpoint
    both idle and over-provisioned counts once, at its most; what else was found counts
    whole, and only accounts this run swept count at all."""
    from datetime import UTC, datetime

    from govbot.cycle.contracts import State, StoredFinding
    from govbot.cycle.models import Finding
    from govbot.cycle.policy import Policy
    from govbot.handlers.org_digest import organisation_report
    from tests.unit.test_digest import finding

    now = datetime.now(UTC)
    found = [
        (finding(1, detector="overprovisioned-endpoint", cost=30.0), State.PENDING_APPROVAL),
        (finding(1, cost=100.0), State.OPEN),
        (finding(2, cost=50.0), State.APPROVED),
        *((finding(i, cost=1.0), State.OPEN) for i in range(3, 40)),
        (finding(99, detector="overprovisioned-endpoint", cost=7.0), State.OPEN),
        (
            Finding.model_validate(
                {
                    **finding(500, cost=1000.0).model_dump(exclude={"finding_id"}),
                    "account_id": "999988887777",
                    "resource_arn": "arn:aws:sagemaker:us-east-1:999988887777:endpoint/res-00500",
                }
            ),
            State.OPEN,
        ),
    ]
    for f, state in found:
        store.put_new(StoredFinding(finding=f, state=state, first_seen=now, last_seen=now))
    _, tally, settled = organisation_report(
        store, Policy(), ["us-east-1"], [{"account_id": "123456789012"}]
    )
    assert settled.swept == 1
    assert tally.total("waste") == 100.0 + 50.0 + 37 * 1.0 + 7.0
    assert tally.count == len(found) - 1  # the account not swept this run is not told
