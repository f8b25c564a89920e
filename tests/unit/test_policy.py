from pathlib import Path

import pytest

from govbot.cycle.policy import Policy, PolicyError, load_policy, parse_policy, policy_from_yaml
from govbot.detectors import DETECTORS
from govbot.detectors.base import Mode

ROOT = Path(__file__).resolve().parents[2]


def test_default_policy_file_is_exactly_the_defaults() -> None:
    assert load_policy(ROOT / "policies" / "default.yaml") == Policy()


@pytest.mark.parametrize("path", sorted((ROOT / "policies").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_policy_is_valid(path: Path) -> None:
    load_policy(path)


def test_empty_file_is_the_default_policy() -> None:
    assert policy_from_yaml("") == Policy()


def test_partial_policy_keeps_other_defaults() -> None:
    policy = policy_from_yaml("detectors:\n  idle-endpoint:\n    idle_hours: 6\n")
    assert policy.settings("idle-endpoint").idle_hours == 6
    assert policy.settings("orphaned-volume").min_age_days == 7
    assert policy.enabled_detectors() == list(DETECTORS)


def test_default_modes() -> None:
    policy = Policy()
    assert policy.settings("untagged-resource").mode is Mode.NOTIFY
    for det in ("idle-endpoint", "orphaned-volume", "runaway-training-job", "log-retention-gap"):
        assert policy.settings(det).mode is Mode.APPROVE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "detectors:\n  idle-endpoint:\n    idle_hours: -1\n",
            "detectors.idle-endpoint.idle_hours",
        ),
        ("detectors:\n  idle-endpont: {}\n", "detectors.idle-endpont: unknown detector"),
        (
            "detectors:\n  orphaned-volume:\n    min_age: 3\n",
            "detectors.orphaned-volume.min_age: unknown field",
        ),
        (
            "detectors:\n  log-retention-gap:\n    retention_days: 31\n",
            "detectors.log-retention-gap.retention_days",
        ),
        (
            "detectors:\n  untagged-resource:\n    required_tags: []\n",
            "detectors.untagged-resource.required_tags",
        ),
        ("detectors:\n  untagged-resource:\n    resource_kinds: [lambda]\n", "resource_kinds.0"),
        ("detectors:\n  idle-endpoint:\n    mode: yolo\n", "detectors.idle-endpoint.mode"),
        ("regions: [us-east-1, moon-base-1a]\n", "not AWS region names: moon-base-1a"),
        ("regions: [eu-west-9]\n", "unknown region(s): eu-west-9 (the SDK knows"),
        ("region: [us-east-1]\n", "region: unknown field"),
        ("pricing:\n  ec2_hourly:\n    m5.large: cheap\n", "pricing.ec2_hourly.m5.large"),
    ],
)
def test_invalid_policy_names_the_field(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as err:
        policy_from_yaml(text, "team.yaml")
    assert "team.yaml is not a valid policy" in str(err.value)
    assert expected in str(err.value)


def test_yaml_syntax_error_is_reported_with_its_position() -> None:
    with pytest.raises(PolicyError, match=r"(?s)not valid YAML.*line 2"):
        policy_from_yaml("regions: [us-east-1\ndetectors: {", "broken.yaml")


def test_a_list_is_not_a_policy() -> None:
    with pytest.raises(PolicyError, match="must be a mapping, got list"):
        policy_from_yaml("- us-east-1\n")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"cannot read policy .*nope\.yaml"):
        load_policy(tmp_path / "nope.yaml")


def test_with_regions_validates_and_drops_repeats() -> None:
    assert Policy().with_regions(["eu-west-1", "eu-west-1", "us-east-1"]).regions == [
        "eu-west-1",
        "us-east-1",
    ]
    with pytest.raises(ValueError, match="useast1"):
        Policy().with_regions(["useast1"])


def test_prefix_retention_longest_prefix_wins() -> None:
    policy = policy_from_yaml(
        "detectors:\n  log-retention-gap:\n    prefix_retention_days:\n"
        "      /aws/: 60\n      /aws/lambda/: 90\n"
    )
    settings = policy.settings("log-retention-gap")
    assert settings.retention_for("/aws/lambda/fn") == 90
    assert settings.retention_for("/aws/sagemaker/x") == 60
    assert settings.retention_for("/ml/app") == 30


def test_only_keeps_the_named_detectors_and_their_own_switches() -> None:
    policy = policy_from_yaml("detectors:\n  untagged-resource: {enabled: false}\n")
    narrowed = policy.only(["idle-endpoint", "untagged-resource"])
    assert narrowed.enabled_detectors() == ["idle-endpoint"]
    assert policy.enabled_detectors() == [d for d in DETECTORS if d != "untagged-resource"]


def test_the_default_policy_file_shows_every_setting() -> None:
    """Every key of the effective policy appears in policies/default.yaml (it says it does)."""
    import yaml

    def paths(node: object, prefix: str = "") -> set[str]:
        if isinstance(node, dict) and node:
            return {p for k, v in node.items() for p in paths(v, f"{prefix}{k}.")}
        return {prefix.rstrip(".")}

    shown = paths(yaml.safe_load((ROOT / "policies" / "default.yaml").read_text()))
    effective = paths(Policy().model_dump(mode="json", by_alias=True))
    assert effective - shown == set()


def test_the_policy_reads_the_stacks_exempt_tag_and_refuses_another() -> None:
    """IAM's deny names the stack's ExemptTagKey; a policy naming another key would exempt
    resources IAM does not protect (or the reverse), so it is refused."""
    from govbot.runtime import with_exempt_tag

    assert with_exempt_tag(Policy(), "finops:keep").exempt_tag == "finops:keep"
    same = parse_policy({"exempt_tag": "finops:keep"})
    assert with_exempt_tag(same, "finops:keep").exempt_tag == "finops:keep"
    with pytest.raises(PolicyError, match="the stack's ExemptTagKey is 'finops:keep'"):
        with_exempt_tag(parse_policy({"exempt_tag": "keep-me"}), "finops:keep")
    assert with_exempt_tag(parse_policy({"exempt_tag": "keep-me"}), None).exempt_tag == "keep-me"
