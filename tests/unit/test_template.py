"""template.yaml grants what the code needs, and nothing more."""

from pathlib import Path
from typing import Any

import pytest
import yaml

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


def test_sweep_role_grants_exactly_what_the_detectors_declare(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    [read] = [s for s in statements(sweep) if s["Sid"] == "DetectorsReadOnly"]
    assert actions(read) == sweep_permissions()


def test_sweep_role_is_read_only(template) -> None:
    sweep = template["Resources"]["SweepFunction"]
    granted = set().union(*(actions(s) for s in statements(sweep)))
    verbs = ("Describe", "List", "Get")
    assert all(a.split(":")[1].startswith(verbs) for a in granted), granted


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
