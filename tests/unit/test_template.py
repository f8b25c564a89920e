"""template.yaml grants what the code needs, and nothing more."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from govbot import store
from govbot.actions import action_permissions
from govbot.detectors import sweep_permissions

ROOT = Path(__file__).resolve().parents[2]


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !Sub …) kept as plain values."""


CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: {
        suffix: loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
    },
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in function["Properties"]["Policies"] for s in p["Statement"]]


def actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def statement(function: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in statements(function) if s["Sid"] == sid]
    return found


def test_sweep_role_grants_exactly_what_the_detectors_declare(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    assert actions(statement(sweep, "DetectorsReadOnly")) == sweep_permissions()


def test_sweep_role_grants_exactly_what_the_actions_declare(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    assert actions(statement(sweep, "Remediation")) == action_permissions()


def test_state_table_access_is_what_the_store_uses_on_that_table_only(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    table = statement(sweep, "StateTable")
    assert actions(table) == set(store.PERMISSIONS)
    assert table["Resource"][0] == {"GetAtt": "StateTable.Arn"}


def test_sweep_role_has_nothing_else(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    granted = set().union(*(actions(s) for s in statements(sweep)))
    expected = sweep_permissions() | action_permissions() | set(store.PERMISSIONS)
    assert granted == expected | {"ssm:GetParameter"}


def test_detector_reads_are_read_only(template) -> None:
    read = statement(template["Resources"]["SweepFunction"], "DetectorsReadOnly")
    verbs = ("Describe", "List", "Get")
    assert all(a.split(":")[1].startswith(verbs) for a in actions(read))


def test_state_table_is_recoverable(template) -> None:
    props = template["Resources"]["StateTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert "TimeToLiveSpecification" not in props  # audit records never expire
    names = {i["IndexName"] for i in props["GlobalSecondaryIndexes"]}
    assert names == {store.STATE_INDEX, store.SCOPE_INDEX}


def test_dry_run_is_the_default(template) -> None:
    assert template["Parameters"]["DryRun"]["Default"] == "true"
    env = template["Resources"]["SweepFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DRY_RUN"] == {"Ref": "DryRun"}
    config = (ROOT / "samconfig.toml").read_text()
    assert "DryRun=true" in config.split("[prod")[0]


def test_no_wildcard_actions_anywhere(template) -> None:
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        for s in statements(fn):
            assert not any("*" in a for a in actions(s)), name


def test_every_function_logs_to_a_group_with_retention(template) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        ref = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[ref]["Properties"]["RetentionInDays"], name


def test_functions_run_python313_on_arm64_with_the_layer(template) -> None:
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Architectures"] == ["arm64"]
    assert glob["Layers"] == [{"Ref": "GovbotLayer"}]
    layer = template["Resources"]["GovbotLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    for fn in resources_of(template, "AWS::Serverless::Function").values():
        assert fn["Metadata"]["BuildMethod"] == "makefile"
        assert (ROOT / fn["Properties"]["CodeUri"] / "app.py").is_file()
