"""`govbot iam-policy --for cli` is enough for the command line on an account that enforces
IAM (moto's IAM simulation), and a permission taken out of it is named by the sweep."""

import json

from tests.integration.conftest import REGIONS, run_govbot


def test_the_cli_policy_alone_sweeps_and_stores_the_whole_estate(iam_estate) -> None:
    as_user = iam_estate.as_user("full", "govbot-iam-sweep")
    assert run_govbot("init", env=as_user).returncode == 0
    swept = run_govbot("sweep", "--regions", REGIONS, "-f", "json", env=as_user)
    assert swept.returncode == 0, swept.stderr
    report = json.loads(swept.stdout)
    assert report["errors"] == []
    found = {(f["detector"], f["region"], f["resource_id"]) for f in report["findings"]}
    assert len(found) == len(iam_estate.expected)
    listed = run_govbot("findings", "-f", "json", env=as_user)
    assert json.loads(listed.stdout)["count"] == len(found)


def test_a_permission_missing_from_the_policy_is_named_by_the_sweep(iam_estate) -> None:
    as_user = iam_estate.as_user("no-volumes", "govbot-iam-missing")
    swept = run_govbot("sweep", "--regions", "us-east-1", "-f", "json", env=as_user)
    report = json.loads(swept.stdout)
    # Exactly the detectors that list volumes, each naming the action it lacked.
    assert sorted((e["detector"], e["code"]) for e in report["errors"]) == [
        ("orphaned-volume", "AccessDenied"),
        ("untagged-resource", "AccessDenied"),
    ]
    assert all("ec2:DescribeVolumes" in e["message"] for e in report["errors"])
    # The rest of the sweep still found its waste.
    assert {f["detector"] for f in report["findings"]} >= {"idle-endpoint", "log-retention-gap"}
