"""`govbot doctor --stack`: the deployed schedule and EventBridge rules must be enabled, and
the stack's topics and functions' roles are checked without naming them."""

from __future__ import annotations

import json

from govbot.cli import checks, doctor

STACK = {
    "Resources": {
        "DigestTopic": {"Type": "AWS::SNS::Topic"},
        "SweepFunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "BudgetAlertsTopic": {"Type": "AWS::SNS::Topic"},
        "RealtimeCloudTrailRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": {"source": ["aws.sagemaker"]}, "State": "ENABLED"},
        },
        "PolicyParameter": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/govbot/policy",
                "Type": "String",
                "Value": "regions: [us-east-1, ap-east-1]\n",
            },
        },
        "BudgetEventsRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": {"source": ["aws.budgets"]}, "State": "DISABLED"},
        },
    },
    "Outputs": {
        "DigestTopicArn": {"Value": {"Ref": "DigestTopic"}},
        "BudgetAlertsTopicArn": {"Value": {"Ref": "BudgetAlertsTopic"}},
        "PolicyParameterName": {"Value": {"Ref": "PolicyParameter"}},
    },
}

CALLER = "arn:aws:iam::123456789012:user/ana"  # who runs doctor


def test_a_disabled_rule_is_named_and_the_stacks_topics_are_found(clients) -> None:
    cfn = clients.client("cloudformation", "us-east-1")
    cfn.create_stack(StackName="govbot", TemplateBody=json.dumps(STACK))
    [check], found, parameter = checks.from_stack(
        clients, checks.Install({}, stack="govbot"), "us-east-1", CALLER
    )
    assert parameter == "/govbot/policy"
    assert not check.ok
    assert check.detail == "not enabled: BudgetEventsRule (DISABLED)"
    arns = {t["TopicArn"] for t in clients.client("sns", "us-east-1").list_topics()["Topics"]}
    assert found.digest_topic in arns
    assert found.alerts_topic in arns
    assert "BudgetAlertsTopic" in str(found.alerts_topic)


def test_a_disabled_schedule_is_named(clients) -> None:
    scheduler = clients.client("scheduler", "us-east-1")
    target = {
        "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    }
    for name, state in (("govbot-nightly", "DISABLED"),):
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression="cron(0 2 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
            State=state,
        )
    resources = [
        {
            "ResourceType": "AWS::Scheduler::Schedule",
            "LogicalResourceId": "NightlySchedule",
            "PhysicalResourceId": "govbot-nightly",
        }
    ]
    check = checks.triggers(clients, resources, "us-east-1")
    assert (check.ok, check.detail) == (False, "not enabled: NightlySchedule (DISABLED)")
    scheduler.update_schedule(
        Name="govbot-nightly",
        ScheduleExpression="cron(0 2 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        State="ENABLED",
    )
    assert checks.triggers(clients, resources, "us-east-1").detail == "all 1 enabled"


def test_the_deployed_policy_is_the_one_checked(clients) -> None:
    """Without --policy, doctor reads the policy the functions read: the stack's parameter."""
    from govbot.state.store import Store

    clients.client("cloudformation", "us-east-1").create_stack(
        StackName="govbot", TemplateBody=json.dumps(STACK)
    )
    store = Store(clients, "us-east-1")
    store.create()
    results = doctor.run(clients, store, None, checks.Install({}, stack="govbot"))
    by_name = {c.name: c for c in results}
    assert by_name["policy /govbot/policy (SSM)"].detail == "valid; 2 region(s) named"
    assert by_name["policy regions enabled in the account"].detail == "not enabled: ap-east-1"
    # The stack's sweep function role, found by its logical id, checked as the sweep role.
    [role] = [c for c in results if c.name.endswith(" as sweep")]
    assert ":role/govbot-SweepFunctionRole-" in role.name
    assert not role.ok  # it holds nothing here
    assert role.fix == "attach `govbot iam-policy --for sweep`"
