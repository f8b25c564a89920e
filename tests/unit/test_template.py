"""template.yaml grants what the code needs, and nothing more."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from govbot.actions import action_permissions, action_writes
from govbot.cli.iam import CfnLoader
from govbot.cycle.exemptions import EXEMPT_TAG
from govbot.delivery import queue, sns
from govbot.detectors import sweep_permissions
from govbot.runtime import IDEMPOTENCY_PERMISSIONS
from govbot.state import store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in function["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            if "If" in statement:  # !If [Condition, statement, AWS::NoValue]
                statement = statement["If"][1]
            found.append(statement)
    return found


def actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def statement(function: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in statements(function) if s["Sid"] == sid]
    return found


def function(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]


def granted(fn: dict[str, Any]) -> set[str]:
    return set().union(*(actions(s) for s in statements(fn)))


STORE = set(store.PERMISSIONS)
SWEEPING = set(store.SWEEP_PERMISSIONS)  # what records a sweep: its marks too
# Together exactly what the actions declare (the writes conditioned where IAM allows it).
REMEDIATION_SIDS = (
    "Remediation",
    "RemediationDescribe",
    "RetireGovbotSnapshots",
    "TagGovbotKeys",
    "TagNewSnapshots",
)
# Publishing to a topic encrypted with govbot's key, and reading a secret under a user's key.
TOPIC_KEY = {"kms:GenerateDataKey", "kms:Decrypt"}


def test_sweep_role_reads_stores_queues_and_tells_but_changes_nothing(template) -> None:
    sweep = function(template, "SweepFunction")
    assert actions(statement(sweep, "DetectorsReadOnly")) == sweep_permissions()
    assert actions(statement(sweep, "StateTable")) == SWEEPING
    assert actions(statement(sweep, "QueueFixes")) == set(queue.PERMISSIONS)
    assert actions(statement(sweep, "Digest")) == set(sns.PERMISSIONS)
    assert (
        granted(sweep)
        == sweep_permissions()
        | SWEEPING
        | set(queue.PERMISSIONS)
        | set(sns.PERMISSIONS)
        | {"ssm:GetParameter", "secretsmanager:GetSecretValue"}
        | TOPIC_KEY
    )
    assert not granted(sweep) & (action_permissions() - sweep_permissions())


def test_only_the_worker_may_change_resources_exactly_as_the_actions_declare(template) -> None:
    worker = function(template, "RemediateFunction")
    writes = set().union(*(actions(statement(worker, sid)) for sid in REMEDIATION_SIDS))
    assert writes == action_permissions()
    # Scoped to this account's resources where the service allows it.
    assert statement(worker, "Remediation")["Resource"] != "*"
    assert actions(statement(worker, "DetectorsReadOnly")) == sweep_permissions()  # re-check
    assert actions(statement(worker, "StateTable")) == STORE | set(IDEMPOTENCY_PERMISSIONS)
    changes = action_permissions() - sweep_permissions()
    for name in resources_of(template, "AWS::Serverless::Function"):
        if name != "RemediateFunction":
            assert not granted(function(template, name)) & changes, name


@pytest.mark.parametrize(
    ("name", "store_extra"),
    [("RealtimeFunction", set()), ("BudgetFunction", set(IDEMPOTENCY_PERMISSIONS))],
)
def test_realtime_and_budget_read_store_queue_and_tell(template, name, store_extra) -> None:
    fn = function(template, name)
    assert actions(statement(fn, "DetectorsReadOnly")) == sweep_permissions()
    assert (
        granted(fn)
        == sweep_permissions()
        | STORE
        | store_extra
        | set(queue.PERMISSIONS)
        | set(sns.PERMISSIONS)
        | {"ssm:GetParameter", "secretsmanager:GetSecretValue"}
        | TOPIC_KEY
    )


def test_realtime_rules_cover_every_event_it_judges(template) -> None:
    events = function(template, "RealtimeFunction")["Properties"]["Events"]
    calls = events["ApiCalls"]["Properties"]["Pattern"]["detail"]["eventName"]
    from govbot.kinds import RESOURCE_TYPES

    judged = {e.split(":")[1] for rt in RESOURCE_TYPES.values() for e in rt.cloudtrail}
    assert set(calls) == judged
    states = events["SageMakerStates"]["Properties"]["Pattern"]["detail-type"]
    assert set(states) == {"SageMaker Training Job State Change", "SageMaker Endpoint State Change"}
    config = function(template, "RealtimeFunction")["Properties"]["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"GetAtt": "EventsDLQ.Arn"}


def test_the_slack_function_decides_and_queues_nothing_more(template) -> None:
    fn = function(template, "SlackFunction")
    assert granted(fn) == STORE | set(queue.PERMISSIONS) | {
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",  # only through Secrets Manager, for a secret under a customer key
        "ssm:GetParameter",
    }
    assert fn["Properties"]["FunctionUrlConfig"]["AuthType"] == "NONE"  # Slack signs instead


def test_state_table_statements_name_that_table_only(template) -> None:
    for name in ("SweepFunction", "RemediateFunction", "SlackFunction"):
        table = statement(function(template, name), "StateTable")
        assert table["Resource"][0] == {"GetAtt": "StateTable.Arn"}, name


def test_worker_queue_has_a_dead_letter_queue_and_reports_partial_failures(template) -> None:
    queue_props = template["Resources"]["RemediationQueue"]["Properties"]
    assert queue_props["RedrivePolicy"]["maxReceiveCount"] == 3
    worker = function(template, "RemediateFunction")["Properties"]
    assert queue_props["VisibilityTimeout"] >= 6 * worker["Timeout"]
    event = worker["Events"]["Approved"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_detector_reads_are_read_only(template) -> None:
    read = statement(function(template, "SweepFunction"), "DetectorsReadOnly")
    from govbot.actions import READS

    assert all(a.split(":")[1].startswith(READS) for a in actions(read))


def test_state_table_is_recoverable(template) -> None:
    props = template["Resources"]["StateTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # Only once-only keys carry the TTL attribute (test_recording_writes: audit items never do).
    assert props["TimeToLiveSpecification"]["AttributeName"] == store.EXPIRES_AT
    names = {i["IndexName"] for i in props["GlobalSecondaryIndexes"]}
    assert names == {store.STATE_INDEX, store.SCOPE_INDEX}


def test_dry_run_is_the_default(template) -> None:
    assert template["Parameters"]["DryRun"]["Default"] == "true"
    env = template["Globals"]["Function"]["Environment"]["Variables"]
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


def test_plan_lists_targets_with_exactly_what_it_declares(template) -> None:
    from govbot.cycle import org

    plan = function(template, "PlanFunction")
    assert actions(statement(plan, "ListTargets")) == set(org.PERMISSIONS)
    assert granted(plan) == set(org.PERMISSIONS) | {"ssm:GetParameter"}


def test_the_sweep_worker_reads_members_only_through_their_role(template) -> None:
    worker = function(template, "SweepWorkerFunction")
    assume = statement(worker, "MemberSweep")
    assert actions(assume) == {"sts:AssumeRole"}
    assert assume["Resource"] == {"Sub": "arn:${AWS::Partition}:iam::*:role/${MemberSweepRoleName}"}
    assert granted(worker) == {"sts:AssumeRole", "sqs:SendMessage", "ssm:GetParameter"} | SWEEPING


def test_iam_refuses_to_change_exempt_resources(template) -> None:
    deny = statement(function(template, "RemediateFunction"), "NeverTouchExempt")
    assert deny["Effect"] == "Deny"
    # The key is the ExemptTagKey parameter (a condition key cannot be !Sub'd: the
    # LanguageExtensions transform's Fn::ForEach templates it), the one the policy reads too.
    assert deny["Condition"] == {
        "StringEqualsIgnoreCase": {
            "Fn::ForEach::ExemptKey": [
                "TagKey",
                [{"Ref": "ExemptTagKey"}],
                {"aws:ResourceTag/${TagKey}": "true"},
            ]
        }
    }
    assert "AWS::LanguageExtensions" in template["Transform"]
    assert template["Parameters"]["ExemptTagKey"]["Default"] == EXEMPT_TAG
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["GOVBOT_EXEMPT_TAG"] == {"Ref": "ExemptTagKey"}
    # Every write any registered action makes, each of which supports aws:ResourceTag.
    assert actions(deny) == action_writes()


@pytest.fixture(scope="module")
def member() -> dict[str, Any]:
    text = (ROOT / "templates" / "member-roles.yaml").read_text()
    return yaml.load(text, Loader=CfnLoader)


def member_statements(member: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    policies = member["Resources"][role]["Properties"]["Policies"]
    return {s["Sid"]: s for p in policies for s in p["PolicyDocument"]["Statement"]}


def test_member_sweep_role_is_read_only_and_exactly_the_detectors(member) -> None:
    stmts = member_statements(member, "SweepRole")
    assert set(stmts) == {"DetectorsReadOnly"}
    assert actions(stmts["DetectorsReadOnly"]) == sweep_permissions()


def test_member_remediation_role_is_exactly_the_actions_and_refuses_exempt(member) -> None:
    stmts = member_statements(member, "RemediationRole")
    granted = set().union(*(actions(stmts[sid]) for sid in REMEDIATION_SIDS))
    assert granted == action_permissions()
    assert actions(stmts["DetectorsReadOnly"]) == sweep_permissions()
    assert stmts["NeverTouchExempt"]["Effect"] == "Deny"
    assert actions(stmts["NeverTouchExempt"]) == action_writes()
    # Writes only on resources of the member's own account, by ARN pattern.
    for arn in stmts["Remediation"]["Resource"]:
        pattern = arn["Sub"]
        assert "${AWS::AccountId}" in pattern or ":snapshot/" in pattern, pattern
    assert actions(stmts["RemediationDescribe"]) == {
        "ec2:DescribeSnapshots",
        "sagemaker:ListInferenceComponents",
    }


def _allows(statement: dict[str, Any], service: str, action: str) -> bool:
    principal = statement.get("Principal", {}).get("Service", [])
    services = [principal] if isinstance(principal, str) else principal
    listed = actions(statement)
    wanted = {action} | {a for a in listed if a.endswith("*") and action.startswith(a[:-1])}
    return statement["Effect"] == "Allow" and service in services and bool(listed & wanted)


@pytest.mark.parametrize(
    ("service", "topic", "topic_policy"),
    [
        ("budgets.amazonaws.com", "BudgetAlertsTopic", "BudgetAlertsTopicPolicy"),
        ("costalerts.amazonaws.com", "BudgetAlertsTopic", "BudgetAlertsTopicPolicy"),
        ("cloudwatch.amazonaws.com", "DigestTopic", "DigestTopicPolicy"),
    ],
)
def test_each_aws_service_that_publishes_can_publish_encrypted(
    template, service, topic, topic_policy
) -> None:
    resources = template["Resources"]
    # The topic is under govbot's own key (the AWS-managed one cannot admit these services).
    assert resources[topic]["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicsKey"}
    key = resources["TopicsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    key_statements = key["KeyPolicy"]["Statement"]
    for needed in ("kms:GenerateDataKey", "kms:Decrypt"):
        [grant] = [st for st in key_statements if _allows(st, service, needed)]
        assert grant["Condition"]["StringEquals"] == {
            "aws:SourceAccount": {"Ref": "AWS::AccountId"}
        }
    policy = resources[topic_policy]["Properties"]
    assert policy["Topics"] == [{"Ref": topic}]
    [publish] = [
        st for st in policy["PolicyDocument"]["Statement"] if _allows(st, service, "sns:Publish")
    ]
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_every_function_that_publishes_may_use_the_topics_key(template) -> None:
    publishers = [
        name
        for name, fn in resources_of(template, "AWS::Serverless::Function").items()
        if any("sns:Publish" in actions(st) for st in statements(fn))
    ]
    assert len(publishers) == 4
    for name in publishers:
        key = statement(function(template, name), "DigestKey")
        assert actions(key) == TOPIC_KEY
        assert key["Resource"] == {"GetAtt": "TopicsKey.Arn"}


def test_a_slack_secret_under_a_customer_key_stays_readable_through_secrets_manager(
    template,
) -> None:
    readers = [
        name
        for name, fn in resources_of(template, "AWS::Serverless::Function").items()
        if any("secretsmanager:GetSecretValue" in actions(st) for st in statements(fn))
    ]
    assert readers
    for name in readers:
        key = statement(function(template, name), "SlackSecretKey")
        assert actions(key) == {"kms:Decrypt"}
        assert key["Condition"] == {
            "StringEquals": {
                "kms:ViaService": {"Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}
            }
        }


def test_the_public_slack_function_has_reserved_concurrency(template) -> None:
    props = function(template, "SlackFunction")["Properties"]
    assert props["ReservedConcurrentExecutions"] == {"Ref": "SlackConcurrency"}


def test_every_dead_letter_queue_and_function_has_an_alarm(template) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    watched = {
        d["Value"].get("Ref") or d["Value"].get("GetAtt")
        for a in alarms
        for d in a["Properties"].get("Dimensions", [])
    }
    functions = set(resources_of(template, "AWS::Serverless::Function"))
    assert functions - {"SlackFunction"} <= watched  # the Slack function's is metric math
    slack = template["Resources"]["SlackErrorsAlarm"]
    assert slack["Condition"] == "HasSlack"
    watched_slack = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in slack["Properties"]["Metrics"]
        if "MetricStat" in m
        and m["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == {"Ref": "SlackFunction"}
    }
    assert watched_slack == {"Errors", "Throttles", "Url5xxCount"}
    assert {"RemediationDLQ.QueueName", "EventsDLQ.QueueName"} <= watched


@pytest.mark.parametrize("name", ["SweepFunction", "RealtimeFunction", "BudgetFunction"])
def test_asynchronously_invoked_functions_keep_what_they_fail_on(template, name) -> None:
    dlq = function(template, name)["Properties"]["DeadLetterQueue"]
    assert dlq == {"Type": "SQS", "TargetArn": {"GetAtt": "EventsDLQ.Arn"}}


def test_every_checkov_suppression_says_why(template) -> None:
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip["comment"]) > 40, (name, skip["id"])


def test_only_the_worker_may_seal_records_and_no_function_may_open_them(template) -> None:
    from govbot.state import sealing

    worker = function(template, "RemediateFunction")
    seal = statement(worker, "SealRecords")
    assert actions(seal) == set(sealing.SEAL)
    assert seal["Resource"] == {"GetAtt": "RecordsKey.Arn"}
    assert seal["Condition"]["StringEquals"] == {
        f"kms:EncryptionContext:{k}": v for k, v in sealing.CONTEXT.items()
    }
    variables = worker["Properties"]["Environment"]["Variables"]
    assert variables[sealing.KEY_SETTING] == {"GetAtt": "RecordsKey.Arn"}
    for name in resources_of(template, "AWS::Serverless::Function"):
        fn = function(template, name)
        for s in statements(fn):
            if "RecordsKey" in str(s.get("Resource")):
                assert (name, s["Sid"]) == ("RemediateFunction", "SealRecords")


def test_the_state_table_and_its_audit_log_outlive_the_stack(template) -> None:
    table = template["Resources"]["StateTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["TimeToLiveSpecification"]["Enabled"] is True


def test_member_roles_trust_exactly_the_one_govbot_role_that_assumes_each(member) -> None:
    """Not the govbot account as a whole: any principal there that may call sts:AssumeRole
    would otherwise reach every member account. The ExternalId is kept too."""
    expected = {
        "SweepRole": "GovbotSweepRoleArn",
        "RemediationRole": "GovbotRemediationRoleArn",
        "RestoreRole": "RestorePrincipalArns",
    }
    for role, principal in expected.items():
        [trust] = member["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"] == {
            "StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}},
            "ArnEquals": {"aws:PrincipalArn": {"Ref": principal}},
        }, role


def test_the_member_restore_role_is_exactly_what_restore_calls(member) -> None:
    from govbot.cycle import restore

    stmts = member_statements(member, "RestoreRole")
    assert actions(stmts["RestoreReads"]) == set(restore.READS)
    assert actions(stmts["RestoreCreates"]) == set(restore.CREATES)
    assert stmts["RestoreCreates"]["Condition"] == {
        "Null": {f"aws:RequestTag/{restore.RESTORED_FROM_TAG}": "false"}
    }
    assert actions(stmts["RestoreFromSnapshots"]) == {"ec2:CreateVolume"}
    assert actions(stmts["RestoreChanges"]) == set(restore.CHANGES)
    assert actions(stmts["NeverTouchExempt"]) == set(restore.CHANGES)
    assert member["Resources"]["RestoreRole"]["Condition"] == "HasRestorers"


def test_the_external_id_reaches_only_the_functions_that_assume_member_roles(template) -> None:
    assert "GOVBOT_EXTERNAL_ID" not in template["Globals"]["Function"]["Environment"]["Variables"]
    holders = {
        name
        for name, fn in resources_of(template, "AWS::Serverless::Function").items()
        if "GOVBOT_EXTERNAL_ID" in fn["Properties"].get("Environment", {}).get("Variables", {})
    }
    assume = {
        name
        for name, fn in resources_of(template, "AWS::Serverless::Function").items()
        if "sts:AssumeRole" in granted(fn)
    }
    assert holders == assume == {"SweepWorkerFunction", "RemediateFunction"}
    for name in assume:
        [s] = [s for s in statements(function(template, name)) if "sts:AssumeRole" in actions(s)]
        assert s["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}


@pytest.mark.parametrize("where", ["central", "member"])
def test_snapshot_writes_and_tags_are_limited_to_what_govbot_made_and_writes(
    template, member, where
) -> None:
    """DeleteSnapshot and ModifySnapshotTier reach only snapshots govbot tagged with a keep
    date; tags on existing resources are govbot's own keys only; a new snapshot may take its
    volume's tags only as it is made."""
    from govbot.actions.tag_missing import MISSING_TAG
    from govbot.cycle.restore import RESTORED_FROM_TAG
    from govbot.detectors.expired_snapshot import EXPIRES_TAG, SOURCE_TAG

    if where == "central":
        stmts = {s["Sid"]: s for s in statements(function(template, "RemediateFunction"))}
    else:
        stmts = member_statements(member, "RemediationRole")
    retire = stmts["RetireGovbotSnapshots"]
    assert actions(retire) == {"ec2:DeleteSnapshot", "ec2:ModifySnapshotTier"}
    assert retire["Condition"] == {"StringLike": {f"aws:ResourceTag/{EXPIRES_TAG}": "*"}}
    tagging = stmts["TagGovbotKeys"]["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"]
    assert tagging == ["govbot:*"]
    for key in (MISSING_TAG, EXPIRES_TAG, SOURCE_TAG, RESTORED_FROM_TAG):
        assert key.startswith("govbot:"), key
    assert stmts["TagNewSnapshots"]["Condition"] == {
        "StringEquals": {"ec2:CreateAction": "CreateSnapshot"}
    }
    for sid in ("Remediation", "RemediationDescribe"):
        assert not actions(stmts[sid]) & {
            "ec2:CreateTags",
            "sagemaker:AddTags",
            "ec2:DeleteSnapshot",
            "ec2:ModifySnapshotTier",
        }


def test_every_service_grant_names_the_account_and_the_source(template) -> None:
    """A service principal acts for this account's own budgets, anomaly monitors, alarms and
    schedule only (aws:SourceAccount and aws:SourceArn), never for another's."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            principal = node.get("Principal")
            if isinstance(principal, dict) and "Service" in principal:
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(template["Resources"])
    assert len(found) >= 7
    for grant in found:
        conditions = grant["Condition"]
        assert conditions["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
        source = conditions.get("ArnLike", conditions.get("ArnEquals", {}))
        assert "aws:SourceArn" in source, grant.get("Sid")
