"""The organisation sweep's state machine definition (ASL), as the template deploys it."""

import json
import re
from pathlib import Path

import pytest

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
    values = {"MaxConcurrency": "40", "ToleratedFailurePercentage": "10"}
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values.get(m[1], f"arn:{m[1]}"), text))


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
    assert sweep["MaxConcurrency"] == 40
    assert sweep["ToleratedFailurePercentage"] == 10
    assert sweep["ResultPath"] == "$.results"
    one = sweep["ItemProcessor"]["States"]["SweepOne"]
    assert one["Parameters"]["FunctionName"] == "arn:SweepWorkerFunctionArn"
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
