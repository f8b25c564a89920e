"""The client factory: lazy, cached, counting, retrying, and able to assume a role."""

import boto3
import pytest
from botocore.exceptions import ClientError

from govbot.aws import AwsClients

MEMBER = "111111111111"


def test_clients_are_cached_per_service_and_region(clients) -> None:
    assert clients.ec2("us-east-1") is clients.ec2("us-east-1")
    assert clients.ec2("us-east-1") is not clients.ec2("eu-west-1")


def test_every_call_is_counted_by_operation(clients) -> None:
    ec2 = clients.ec2("us-east-1")
    ec2.describe_volumes()
    ec2.describe_volumes()
    clients.logs("eu-west-1").describe_log_groups()
    assert clients.calls == {"ec2.DescribeVolumes": 2, "logs.DescribeLogGroups": 1}


def test_retries_are_adaptive_and_follow_aws_max_attempts(account, monkeypatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    retries = AwsClients().ec2("us-east-1").meta.config.retries
    assert retries == {"mode": "adaptive", "total_max_attempts": 3}
    nine = AwsClients(max_attempts=9).ec2("us-east-1").meta.config.retries
    assert nine["total_max_attempts"] == 9


def test_nothing_is_built_until_first_use(account) -> None:
    clients = AwsClients(role_arn=f"arn:aws:iam::{MEMBER}:role/govbot-sweep")
    assert clients.calls == {}  # not even the AssumeRole


def test_assumed_role_sees_the_member_account(account, now) -> None:
    # A volume in the member account, made with that account's own credentials.
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/setup", RoleSessionName="setup")[
        "Credentials"
    ]
    member = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    vid = member.client("ec2", region_name="us-east-1").create_volume(
        AvailabilityZone="us-east-1a", Size=10
    )["VolumeId"]

    clients = AwsClients(role_arn=f"arn:aws:iam::{MEMBER}:role/govbot-sweep", external_id="ext-123")
    assert clients.account_id("us-east-1") == MEMBER
    volumes = clients.ec2("us-east-1").describe_volumes()["Volumes"]
    assert [v["VolumeId"] for v in volumes] == [vid]
    assert clients.calls["sts.AssumeRole"] == 1
    # The caller's own account does not hold the member's volume.
    assert AwsClients().ec2("us-east-1").describe_volumes()["Volumes"] == []


def test_aws_errors_keep_their_codes(clients) -> None:
    with pytest.raises(ClientError) as err:
        clients.sagemaker("us-east-1").describe_endpoint(EndpointName="missing")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_aws_region_is_honoured_when_no_default_region_is_configured(monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    assert AwsClients().default_region == "eu-west-2"
