"""`govbot doctor` on the emulated account: every check passes for a user holding exactly
`govbot iam-policy --for cli`; a missing permission, a missing table and a region the account
has not enabled are each named with their fix, and doctor exits 1."""

import json

from tests.integration.conftest import run_govbot


def checks(result) -> dict[str, dict]:
    return {c["name"].split(" (")[0].split(" of ")[0]: c for c in json.loads(result.stdout)}


def test_an_install_holding_the_cli_policy_passes_every_check(iam_estate, tmp_path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("regions: [us-east-1, eu-west-1]\n")
    # as the operator, on a state table of this test's own
    as_user = iam_estate.as_user("full", "govbot-doctor-ok")
    assert run_govbot("init", env=as_user).returncode == 0
    result = run_govbot("doctor", "--policy", str(policy), "-f", "json", env=as_user)
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result)
    assert all(c["ok"] for c in found.values()), found
    assert set(found) >= {
        "state table govbot-doctor-ok",
        f"policy {policy}",
        "policy regions enabled in the account",
        "permissions",
        "AWS Price List",
    }
    assert found["permissions"]["detail"].startswith("all ")


def test_what_is_wrong_is_named_with_its_fix(iam_estate, tmp_path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("regions: [us-east-1, ap-east-1]\n")  # ap-east-1: opt-in, not enabled
    # lacking one action, on a table never made
    as_user = iam_estate.as_user("no-volumes", "govbot-doctor-missing")
    result = run_govbot("doctor", "--policy", str(policy), "-f", "json", env=as_user)
    assert result.returncode == 1
    found = checks(result)
    failed = {name for name, c in found.items() if not c["ok"]}
    assert failed == {
        "state table govbot-doctor-missing",
        "policy regions enabled in the account",
        "permissions",
    }
    assert found["state table govbot-doctor-missing"]["fix"].startswith("run `govbot init`")
    assert found["policy regions enabled in the account"]["detail"] == "not enabled: ap-east-1"
    assert found["permissions"]["detail"].endswith("denied: ec2:DescribeVolumes")
    assert found["permissions"]["fix"] == "attach `govbot iam-policy --for cli`"
    table = run_govbot("doctor", "--policy", str(policy), env={**as_user, "COLUMNS": "160"})
    assert table.returncode == 1
    assert "ec2:DescribeVolumes" in table.stdout
    assert "FAIL" in table.stdout


def _topic(clients, name: str, services: list[str]) -> str:
    sns = clients.client("sns", "us-east-1")
    arn = sns.create_topic(Name=name)["TopicArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": services},
                "Action": "sns:Publish",
                "Resource": arn,
            }
        ],
    }
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
    )
    return arn


def test_slack_and_the_topics_are_checked(server_account, slack, tmp_path) -> None:
    from govbot.aws import AwsClients
    from tests.helpers.slack import SIGNING_SECRET

    clients = AwsClients()
    secret = clients.client("secretsmanager", "us-east-1").create_secret(
        Name="govbot/slack",
        SecretString=json.dumps({"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET}),
    )["ARN"]
    digest = _topic(clients, "govbot-digest", ["cloudwatch.amazonaws.com"])
    alerts = _topic(clients, "govbot-alerts", ["costalerts.amazonaws.com"])  # Budgets left out
    policy = tmp_path / "policy.yaml"
    policy.write_text("regions: [us-east-1]\nslack:\n  channel: C0DIGEST\n")
    assert run_govbot("init").returncode == 0
    ask = ("doctor", "--policy", str(policy), "--slack-secret", secret, "-f", "json")
    topics = ("--digest-topic", digest, "--alerts-topic", alerts)

    found = checks(run_govbot(*ask, *topics))
    assert found["Slack secret"]["ok"]
    assert found["Slack app"]["ok"], found["Slack app"]
    assert found["Slack channel C0DIGEST"]["ok"]
    assert found["topic govbot-digest"]["ok"]
    assert not found["topic govbot-alerts"]["ok"]
    assert found["topic govbot-alerts"]["detail"] == (
        "its policy does not let budgets.amazonaws.com publish"
    )

    slack.joined.clear()  # the bot was never invited
    slack.scopes = ("chat:write",)  # and the app was made by hand, with one scope
    found = checks(run_govbot(*ask))
    assert found["Slack channel C0DIGEST"] == {
        "name": "Slack channel C0DIGEST",
        "ok": False,
        "detail": "the bot is not in it",
        "fix": "/invite @govbot",
    }
    assert found["Slack app"]["detail"] == (
        "bot govbot: missing scopes channels:read, usergroups:read"
    )

    # A channel named by name: Slack's conversations.info takes only an id.
    policy.write_text("regions: [us-east-1]\nslack:\n  channel: '#ml-waste'\n")
    found = checks(run_govbot(*ask))
    assert found["Slack channel #ml-waste"]["detail"] == (
        "named, not by id: its members cannot be read"
    )


def test_where_iam_will_not_simulate_the_policies_are_read_by_hand(iam_estate) -> None:
    # IAM refuses this user SimulatePrincipalPolicy
    as_user = iam_estate.as_user("no-simulate", "govbot-doctor-by-hand")
    result = run_govbot("doctor", "-f", "json", env=as_user)
    [permissions] = [c for c in json.loads(result.stdout) if "permissions" in c["name"]]
    assert permissions["name"].endswith("(read from its policies: SCPs and boundaries not seen)")
    assert permissions["detail"].endswith(
        "denied: ec2:DescribeVolumes, iam:SimulatePrincipalPolicy"
    )
    assert result.returncode == 1
