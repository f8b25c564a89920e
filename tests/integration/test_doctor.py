"""`govbot doctor` on the emulated account: every check passes for a user holding exactly
`govbot iam-policy --for cli`; a missing permission, a missing table and a region the account
has not enabled are each named with their fix, and doctor exits 1."""

import json

from tests.integration.conftest import estate_process, run_govbot


def checks(result) -> dict[str, dict]:
    return {c["name"].split(" (")[0].split(" of ")[0]: c for c in json.loads(result.stdout)}


def test_an_install_holding_the_cli_policy_passes_every_check(tmp_path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("regions: [us-east-1, eu-west-1]\n")
    with estate_process("--iam", "cli") as (at, started):
        as_user = {**at, **started["user"]}
        assert run_govbot("init", env=as_user).returncode == 0
        result = run_govbot("doctor", "--policy", str(policy), "-f", "json", env=as_user)
        assert result.returncode == 0, result.stdout + result.stderr
        found = checks(result)
        assert all(c["ok"] for c in found.values()), found
        assert set(found) >= {
            "state table govbot",
            f"policy {policy}",
            "policy regions enabled in the account",
            "permissions",
            "AWS Price List",
        }
        assert found["permissions"]["detail"].startswith("all ")


def test_what_is_wrong_is_named_with_its_fix(tmp_path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("regions: [us-east-1, ap-east-1]\n")  # ap-east-1: opt-in, not enabled
    with estate_process("--iam", "cli", "--without", "ec2:DescribeVolumes") as (at, started):
        as_user = {**at, **started["user"]}
        result = run_govbot("doctor", "--policy", str(policy), "-f", "json", env=as_user)
        assert result.returncode == 1
        found = checks(result)
        failed = {name for name, c in found.items() if not c["ok"]}
        assert failed == {
            "state table govbot",
            "policy regions enabled in the account",
            "permissions",
        }
        assert found["state table govbot"]["fix"].startswith("run `govbot init`")
        assert found["policy regions enabled in the account"]["detail"] == "not enabled: ap-east-1"
        assert found["permissions"]["detail"].endswith("denied: ec2:DescribeVolumes")
        assert found["permissions"]["fix"] == "attach `govbot iam-policy --for cli`"
        table = run_govbot("doctor", "--policy", str(policy), env={**as_user, "COLUMNS": "160"})
        assert table.returncode == 1
        assert "ec2:DescribeVolumes" in table.stdout
        assert "FAIL" in table.stdout
