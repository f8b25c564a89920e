"""untagged-resource: every kind of ML resource, including ones that never had a tag."""

from datetime import timedelta

import pytest

from govbot_emulator.estate import (
    ROLE_ARN,
    as_tags,
    make_endpoint,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)


def test_endpoint_that_never_had_a_tag_is_found(clients, now) -> None:
    # The Resource Groups Tagging API never lists it: the detector must enumerate endpoints.
    make_endpoint(clients, REGION, "bare", [make_variant("AllTraffic", "ml.m5.xlarge")], [], now)
    f = by_id(sweep_one(clients, "untagged-resource", now))["bare"]
    assert f.details["missing_tags"] == ["cost-center", "project", "environment"]
    assert f.monthly_cost_usd == pytest.approx(0.23 * 730)
    assert f.details["cost_basis"].startswith("unattributed spend")


def test_empty_value_counts_as_missing(clients, now) -> None:
    tags = as_tags(**{"cost-center": "cc-1", "project": " ", "environment": "prod"})
    make_endpoint(clients, REGION, "blank", [make_variant("AllTraffic", "ml.m5.xlarge")], tags, now)
    assert by_id(sweep_one(clients, "untagged-resource", now))["blank"].details["missing_tags"] == [
        "project"
    ]


def test_fully_tagged_resources_are_not_findings(clients, now) -> None:
    make_endpoint(
        clients, REGION, "good", [make_variant("AllTraffic", "ml.m5.xlarge")], team_tags("p"), now
    )
    make_volume(clients, REGION, f"{REGION}a", 10, "gp3", team_tags("p"), now)
    assert by_id(sweep_one(clients, "untagged-resource", now)) == {}


def test_required_tags_are_the_policy_setting(clients, now) -> None:
    make_endpoint(
        clients, REGION, "ep", [make_variant("AllTraffic", "ml.m5.xlarge")], team_tags("p"), now
    )
    f = by_id(sweep_one(clients, "untagged-resource", now, required_tags=["cost-center", "owner"]))[
        "ep"
    ]
    assert f.details["missing_tags"] == ["owner"]


def test_every_kind_is_covered(clients, now) -> None:
    sm, ec2 = clients.sagemaker(REGION), clients.ec2(REGION)
    sm.create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t3.xlarge", RoleArn=ROLE_ARN
    )
    make_training_job(clients, REGION, "train", "ml.g4dn.xlarge", 1, [], now - 2 * DAY / 24)
    make_training_job(clients, REGION, "finished", "ml.g4dn.xlarge", 1, [], None)
    vid = make_volume(clients, REGION, f"{REGION}a", 100, "gp2", [], now)
    iid = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        TagSpecifications=[{"ResourceType": "volume", "Tags": team_tags("p")}],
    )["Instances"][0]["InstanceId"]
    found = by_id(sweep_one(clients, "untagged-resource", now))
    assert set(found) == {"nb", "train", vid, iid}
    assert found["nb"].resource_type == "AWS::SageMaker::NotebookInstance"
    assert found["nb"].monthly_cost_usd == pytest.approx(0.2 * 730)
    assert found["train"].resource_type == "AWS::SageMaker::TrainingJob"
    assert found["train"].monthly_cost_usd == pytest.approx(0.736 * 730)
    assert found[vid].monthly_cost_usd == pytest.approx(10.0)
    assert found[iid].resource_type == "AWS::EC2::Instance"
    assert found[iid].monthly_cost_usd == pytest.approx(0.096 * 730)


def test_stopped_notebook_costs_nothing_but_is_still_unattributed(clients, now) -> None:
    sm = clients.sagemaker(REGION)
    sm.create_notebook_instance(
        NotebookInstanceName="nb", InstanceType="ml.t3.xlarge", RoleArn=ROLE_ARN
    )
    sm.stop_notebook_instance(NotebookInstanceName="nb")
    f = by_id(sweep_one(clients, "untagged-resource", now))["nb"]
    assert f.monthly_cost_usd == 0


def test_resource_kinds_limit_what_is_checked(clients, now) -> None:
    make_endpoint(clients, REGION, "bare", [make_variant("AllTraffic", "ml.m5.xlarge")], [], now)
    vid = make_volume(clients, REGION, f"{REGION}a", 10, "gp3", [], now)
    found = by_id(sweep_one(clients, "untagged-resource", now, resource_kinds=["ebs-volume"]))
    assert set(found) == {vid}
