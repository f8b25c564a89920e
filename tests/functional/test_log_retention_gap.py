"""log-retention-gap: groups that never expire, with the cost of what they store."""

import pytest

from govbot_emulator.estate import make_log_group
from tests.helpers.sweeping import REGION, by_id, sweep_one


def test_group_without_retention_is_a_finding_priced_by_stored_bytes(clients, now) -> None:
    make_log_group(clients, REGION, "/aws/sagemaker/TrainingJobs", stored_gb=200)
    f = by_id(sweep_one(clients, "log-retention-gap", now))["/aws/sagemaker/TrainingJobs"]
    assert f.monthly_cost_usd == pytest.approx(6.0)
    assert f.details["stored_bytes"] == 200 * 1024**3
    assert (
        f.resource_arn
        == f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/sagemaker/TrainingJobs"
    )
    assert f.proposed_action.startswith("set retention to 30 days")
    assert f.details["log_group_class"] == "STANDARD"  # as DescribeLogGroups says it


def test_a_groups_class_is_the_one_aws_reports(clients, now) -> None:
    make_log_group(clients, REGION, "/ml/ia", stored_gb=10, log_class="INFREQUENT_ACCESS")
    f = by_id(sweep_one(clients, "log-retention-gap", now))["/ml/ia"]
    assert f.details["log_group_class"] == "INFREQUENT_ACCESS"


def test_group_with_retention_is_not_a_finding(clients, now) -> None:
    make_log_group(clients, REGION, "/app/kept", stored_gb=1, retention=1)
    assert by_id(sweep_one(clients, "log-retention-gap", now)) == {}


def test_empty_group_is_still_a_gap_at_zero_cost(clients, now) -> None:
    make_log_group(clients, REGION, "/app/new", stored_gb=0)
    assert by_id(sweep_one(clients, "log-retention-gap", now))["/app/new"].monthly_cost_usd == 0


def test_prefix_retention_shows_in_the_proposed_action(clients, now) -> None:
    make_log_group(clients, REGION, "/aws/lambda/fn", stored_gb=1)
    report = sweep_one(
        clients, "log-retention-gap", now, prefix_retention_days={"/aws/lambda/": 90}
    )
    f = by_id(report)["/aws/lambda/fn"]
    assert f.details["retention_days"] == 90


def test_exempt_group_by_comma_list(clients, now) -> None:
    make_log_group(
        clients,
        REGION,
        "/audit",
        stored_gb=5,
        tags={"govbot:exempt": "orphaned-volume,log-retention-gap"},
    )
    make_log_group(
        clients, REGION, "/other", stored_gb=5, tags={"govbot:exempt": "orphaned-volume"}
    )
    assert set(by_id(sweep_one(clients, "log-retention-gap", now))) == {"/other"}


def test_more_groups_than_a_page(clients, now) -> None:
    for i in range(60):
        make_log_group(clients, REGION, f"/bulk/{i:02d}", stored_gb=0)
    report = sweep_one(clients, "log-retention-gap", now)
    assert len(by_id(report)) == 60
    assert report.api_calls["logs.DescribeLogGroups"] == 2  # pages of 50
