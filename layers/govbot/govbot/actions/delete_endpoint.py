"""idle-endpoint: delete the endpoint; its config, model and tags are kept and recorded.

An endpoint that hosts inference components loses them first (each one's specification is
recorded, so restore recreates them); SageMaker deletes components asynchronously, so while
any is still being deleted the endpoint is left to a later run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import ClientError

from govbot.actions.base import (
    Action,
    ActionContext,
    ActionResult,
    Result,
    exempt_now,
    gone,
    restore_hint,
)
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo, exists, restored_from, user_tags
from govbot.detectors.idle_endpoint import IdleEndpointDetails
from govbot.kinds import endpoint
from govbot.state.sealing import seal, unseal


def create_specification(summary: Mapping[str, Any]) -> Any:
    """CreateInferenceComponent's Specification from what DescribeInferenceComponent answered:
    an input shape, never the output read back. The container is given the image digest that
    ran (DeployedImage.ResolvedImage, else the image as specified), and only the members the
    input shape has are kept (botocore's service model says which)."""
    spec = copy.deepcopy(dict(summary))
    container = spec.get("Container")
    if container and "DeployedImage" in container:
        deployed = container.pop("DeployedImage")
        container["Image"] = deployed.get("ResolvedImage") or deployed["SpecifiedImage"]
    return _input_members(spec, _spec_shape())


@cache
def _spec_shape() -> Any:
    model = botocore.session.get_session().get_service_model("sagemaker")
    request: Any = model.operation_model("CreateInferenceComponent").input_shape
    return request.members["Specification"]


def _input_members(value: Any, shape: Any) -> Any:
    if shape.type_name == "structure" and isinstance(value, dict):
        return {
            k: _input_members(v, shape.members[k]) for k, v in value.items() if k in shape.members
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_input_members(v, shape.member) for v in value]
    return value


@register
class DeleteEndpoint(Action):
    name = "delete-endpoint"
    detector = "idle-endpoint"
    undoes = (endpoint.TYPE,)
    permissions = (
        "sagemaker:DeleteEndpoint",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:DeleteInferenceComponent",
        "sagemaker:ListInferenceComponents",
        "sagemaker:ListTags",  # the exemption, asked again before each deletion
    )

    def describe(self, finding: Finding) -> str:
        return f"delete endpoint {finding.resource_id} (config and model kept)"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        # The finding was re-checked seconds ago: its config name, variants and tags are the
        # endpoint's current ones, so recording them costs no further call.
        d = IdleEndpointDetails.model_validate(finding.details)
        sagemaker = ctx.clients.sagemaker(finding.region)
        components = []
        for name in d.components:  # what restore needs to deploy each one again
            c = sagemaker.describe_inference_component(InferenceComponentName=name)
            spec = create_specification(c.get("Specification", {}))
            # The container's environment often holds tokens: recorded sealed, never in clear.
            environment = (spec.get("Container") or {}).pop("Environment", None)
            components.append(
                {
                    "name": name,
                    "variant_name": c.get("VariantName"),
                    "specification": spec,
                    "copy_count": (c.get("RuntimeConfig") or {}).get("DesiredCopyCount", 1),
                    "environment": seal(ctx.clients, environment) if environment else None,
                }
            )
        return {
            "endpoint_name": finding.resource_id,
            "endpoint_config_name": d.endpoint_config_name,
            "endpoint_arn": finding.resource_arn,
            "variants": [v.model_dump() for v in d.variants],
            "components": components,
            "tags": [{"Key": k, "Value": v} for k, v in finding.tags.items()],
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        sagemaker = ctx.clients.sagemaker(finding.region)
        d = IdleEndpointDetails.model_validate(finding.details)
        endpoint = finding.resource_arn
        if d.components:
            arns = {
                c["InferenceComponentName"]: c["InferenceComponentArn"]
                for page in sagemaker.get_paginator("list_inference_components").paginate(
                    EndpointNameEquals=finding.resource_id
                )
                for c in page["InferenceComponents"]
            }
            for n, name in enumerate(d.components):
                # A component inherits its endpoint's exemption: asked before each deletion.
                own = [arns[name]] if name in arns else []  # one gone meanwhile has no tags
                why = exempt_now(ctx, finding.region, endpoint, *own)
                if why:
                    done = f" after deleting {n} of its components" if n else ""
                    return ActionResult(Result.EXEMPT, f"left alone{done}: {why}")
                try:
                    sagemaker.delete_inference_component(InferenceComponentName=name)
                except ClientError as err:
                    if not gone(finding, err):
                        raise
            left = sagemaker.list_inference_components(EndpointNameEquals=finding.resource_id)
            if left.get("InferenceComponents"):
                return ActionResult(
                    Result.PENDING,
                    f"deleting the inference components of {finding.resource_id}; a later run "
                    "deletes the endpoint",
                )
            # Time passed since the re-check: asked once more before the endpoint itself (a
            # plain endpoint's only change is this one, which the re-check just cleared).
            why = exempt_now(ctx, finding.region, endpoint)
            if why:
                return ActionResult(Result.EXEMPT, f"left alone after its components: {why}")
        try:
            sagemaker.delete_endpoint(EndpointName=finding.resource_id)
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"endpoint {finding.resource_id} already gone")
            raise
        return ActionResult(
            Result.DONE,
            f"deleted endpoint {finding.resource_id}; restore with {restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Recreate the endpoint from its recorded config and tags, then its inference
        components from their recorded specifications (sealed environments opened here)."""
        name = req.resource_id
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        before = fix.before
        if before is None or not before.before:
            raise RestoreError(f"no record of govbot deleting endpoint {name} in {req.region}")
        config = before.before["endpoint_config_name"]
        sm = req.clients.sagemaker(req.region)
        if exists(lambda: sm.describe_endpoint(EndpointName=name)):
            raise RestoreError(f"endpoint {name} exists in {req.region}: nothing to restore")
        if not exists(lambda: sm.describe_endpoint_config(EndpointConfigName=config)):
            raise RestoreError(f"endpoint config {config} no longer exists: cannot recreate {name}")
        sm.create_endpoint(
            EndpointName=name,
            EndpointConfigName=config,
            Tags=[*user_tags(before.before["tags"]), restored_from(name)],
        )
        note = f"restored endpoint {name} from config {config}"
        components = before.before.get("components") or []
        if components:  # deployed again once the endpoint is InService
            sm.get_waiter("endpoint_in_service").wait(
                EndpointName=name, WaiterConfig={"Delay": 30, "MaxAttempts": 60}
            )
        for c in components:
            # Input-shaped when recorded; an older record held Describe's answer as it came.
            spec = create_specification(c["specification"])
            if c.get("environment"):  # recorded sealed: opened only here, never logged
                container = {
                    **spec.get("Container", {}),
                    "Environment": unseal(req.clients, c["environment"]),
                }
                spec = {**spec, "Container": container}
            sm.create_inference_component(
                InferenceComponentName=c["name"],
                EndpointName=name,
                VariantName=c["variant_name"],
                Specification=spec,
                RuntimeConfig={"CopyCount": c["copy_count"]},
                Tags=[restored_from(c["name"])],
            )
        if components:
            note += f" with its {len(components)} inference component(s)"
        req.mark(before, note)
        return note
