"""An exemption a resource inherits (a space's or user profile's for its Studio apps, an
endpoint's for its inference components) is asked again right before each change, not only at
plan and re-check: tagging the parent exempt at the last moment still keeps the children."""

from __future__ import annotations

from datetime import timedelta

from govbot.actions.base import ActionContext, Result
from govbot.actions.delete_endpoint import DeleteEndpoint
from govbot.actions.delete_studio_app import DeleteStudioApp
from govbot.cycle.exemptions import exemption
from govbot.cycle.models import Finding
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import make_component_endpoint, team_tags
from tests.functional.test_idle_studio_app import app, status
from tests.functional.test_idle_studio_app import domain as domain
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)
POLICY = parse_policy({"regions": [REGION], "exempt_tag": "finops:keep"})


def context(clients, now) -> ActionContext:
    return ActionContext(
        clients=clients,
        now=now,
        save_progress=lambda _p: None,
        exempt=lambda tags: exemption(tags, "any", now.date(), POLICY.exempt_tag),
    )


def tag(clients, arn: str, key: str = "finops:keep") -> None:
    clients.sagemaker(REGION).add_tags(ResourceArn=arn, Tags=[{"Key": key, "Value": "true"}])


def test_an_exempt_space_keeps_its_apps_when_it_comes_to_act(clients, now, domain) -> None:
    app(clients, now, domain)
    [f] = by_id(sweep_one(clients, "idle-studio-app", now)).values()
    assert isinstance(f, Finding)
    space_arn = clients.sagemaker(REGION).describe_space(DomainId=domain, SpaceName="ana-space")[
        "SpaceArn"
    ]
    tag(clients, space_arn)  # after the re-check, before the delete
    result = DeleteStudioApp().apply(context(clients, now), f)
    assert result.result is Result.EXEMPT
    assert "finops:keep=true" in result.message
    assert status(clients, domain) == "InService"
    # Without the tag the same call deletes it: the test is about the tag.
    clients.sagemaker(REGION).delete_tags(ResourceArn=space_arn, TagKeys=["finops:keep"])
    assert DeleteStudioApp().apply(context(clients, now), f).result is Result.DONE


def component_endpoint_finding(clients, now) -> Finding:
    """An idle endpoint hosting two inference components, found."""
    make_component_endpoint(
        clients, REGION, "llm", "ml.g4dn.xlarge", 1, ["llm-a", "llm-b"], now - 30 * DAY,
        tags=team_tags("nlp"),
    )  # fmt: skip
    [f] = by_id(sweep_one(clients, "idle-endpoint", now)).values()
    assert isinstance(f, Finding)
    return f


def test_components_keep_their_exempt_endpoints_exemption_before_each_deletion(
    clients, now
) -> None:
    f = component_endpoint_finding(clients, now)
    sm = clients.sagemaker(REGION)
    tag(clients, sm.describe_endpoint(EndpointName="llm")["EndpointArn"])
    result = DeleteEndpoint().apply(context(clients, now), f)
    assert result.result is Result.EXEMPT
    left = sm.list_inference_components(EndpointNameEquals="llm")["InferenceComponents"]
    assert {c["InferenceComponentName"] for c in left} == {"llm-a", "llm-b"}
    assert sm.describe_endpoint(EndpointName="llm")["EndpointStatus"] == "InService"


def test_a_component_exempt_on_its_own_stops_the_deletion_there(clients, now) -> None:
    f = component_endpoint_finding(clients, now)
    sm = clients.sagemaker(REGION)
    tag(clients, sm.describe_inference_component(InferenceComponentName="llm-b")[
        "InferenceComponentArn"
    ])  # fmt: skip
    result = DeleteEndpoint().apply(context(clients, now), f)
    assert result.result is Result.EXEMPT
    assert "after deleting 1 of its components" in result.message
    left = sm.list_inference_components(EndpointNameEquals="llm")["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in left] == ["llm-b"]
    assert sm.list_endpoints()["Endpoints"]  # the endpoint stays
