"""`govbot sweep` and `govbot policy` as a user runs them, against a moto server over HTTP."""

import json

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import run_govbot


def test_sweep_json_is_one_object_with_the_estate_findings(server_estate) -> None:
    result = run_govbot("sweep", "--regions", "us-east-1,eu-west-1", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout
    assert set(report) == {"findings", "summary", "errors", "api_calls", "actions", "cannot_judge"}
    assert report["actions"] == []  # no state table: nothing stored, nothing to act on
    keys = {(f["detector"], f["region"], f["resource_id"]) for f in report["findings"]}
    assert keys == server_estate.expected
    for f in report["findings"]:
        assert {
            "detector",
            "resource_id",
            "resource_arn",
            "resource_type",
            "region",
            "account_id",
            "monthly_cost_usd",
            "reason",
            "proposed_action",
            "details",
        } <= set(f)
    assert report["errors"] == []
    # Priced from the Price List the emulated account serves over HTTP, in bulk per region.
    assert report["summary"]["pricing_note"] is None
    endpoint = next(f for f in report["findings"] if f["detector"] == "idle-endpoint")
    assert "AWS Price List 2026-09-01, SKU" in endpoint["details"]["cost_basis"]
    assert report["api_calls"]["pricing.GetProducts"] <= 2 * 9
    assert report["api_calls"]["sagemaker.ListEndpoints"] == 2
    assert report["summary"]["by_detector"]["idle-endpoint"]["findings"] == 3
    # Progress goes to stderr, per region and detector.
    assert "us-east-1 idle-endpoint: 2 finding(s)" in result.stderr


def test_sweep_table_is_readable(server_estate) -> None:
    result = run_govbot("sweep", "--regions", "us-east-1,eu-west-1")
    assert result.returncode == 0, result.stderr
    assert "Estimated monthly waste: $" in result.stdout
    for name in (
        "bert-finetune-large",
        "churn-model-staging",
        "translation-eu",
        "/aws/sagemaker/TrainingJobs",
    ):
        assert name in result.stdout


def test_sweep_takes_regions_from_the_policy(server_estate, tmp_path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("regions: [eu-west-1]\ndetectors:\n  orphaned-volume: {enabled: false}\n")
    report = json.loads(run_govbot("sweep", "--policy", str(policy), "-f", "json").stdout)
    assert report["summary"]["regions"] == ["eu-west-1"]
    assert {f["detector"] for f in report["findings"]} == {"idle-endpoint", "log-retention-gap"}


def test_a_service_that_fails_is_reported_and_the_rest_completes(server_estate) -> None:
    # CloudWatch Logs unreachable (nothing listens on port 9): one detector fails in every
    # region, the other detectors still report, and the exit status is 0.
    env = {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    result = run_govbot("sweep", "--regions", "us-east-1,eu-west-1", "-f", "json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {(e["region"], e["detector"], e["code"]) for e in report["errors"]} == {
        ("us-east-1", "log-retention-gap", "EndpointConnectionError"),
        ("eu-west-1", "log-retention-gap", "EndpointConnectionError"),
    }
    keys = {(f["detector"], f["region"], f["resource_id"]) for f in report["findings"]}
    assert keys == {k for k in server_estate.expected if k[0] != "log-retention-gap"}


def test_no_credentials_means_nothing_swept_and_exit_1(server_account, tmp_path) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = run_govbot("sweep", "--regions", "us-east-1", "-f", "json", env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["errors"][0]["code"] == "NoCredentialsError"
    assert "nothing could be swept" in result.stderr


def test_invalid_policy_exits_2_naming_the_field(tmp_path) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text("detectors:\n  idle-endpoint:\n    idle_hours: 0\n")
    result = run_govbot("sweep", "--policy", str(policy))
    assert result.returncode == 2
    assert "detectors.idle-endpoint.idle_hours" in result.stderr
    assert result.stdout == ""


def test_bad_region_name_exits_2() -> None:
    result = run_govbot("sweep", "--regions", "us-east-1,Frankfurt")
    assert result.returncode == 2
    assert "Frankfurt" in result.stderr


def test_policy_check_accepts_the_shipped_policies_and_rejects_bad_ones(tmp_path) -> None:
    ok = run_govbot("policy", "check", str(ROOT / "policies" / "default.yaml"))
    assert ok.returncode == 0
    assert "valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("detectors:\n  idle-endpont: {}\n")
    result = run_govbot("policy", "check", str(bad))
    assert result.returncode == 2
    assert "detectors.idle-endpont: unknown detector" in result.stderr


def test_help_explains_the_commands() -> None:
    result = run_govbot("sweep", "--help", env={"COLUMNS": "300"})
    assert result.returncode == 0
    assert "--regions" in result.stdout
    assert "Resources change only with --apply" in " ".join(result.stdout.split())
    for command in ("init", "findings", "approve", "reject", "restore"):
        assert run_govbot(command, "--help").returncode == 0, command


def test_the_installed_command_runs_in_a_process_of_its_own() -> None:
    """The other tests fork the command from a process that imported it once; this one starts
    the installed entry point from nothing, as a person's shell does."""
    import subprocess
    import sys
    from pathlib import Path

    script = str(Path(sys.executable).parent / "govbot")  # the console script pip installed
    for command in ([sys.executable, "-m", "govbot"], [script]):
        result = subprocess.run(
            [*command, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "sweep" in result.stdout


NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "",
    "AWS_SECRET_ACCESS_KEY": "",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.mark.parametrize(
    ("args", "env", "code", "says"),
    [
        (["init"], NO_CREDENTIALS, 1, "no AWS credentials"),
        (["findings"], NO_CREDENTIALS, 1, "no AWS credentials"),
        (["approve", "idle-endpoint-0"], NO_CREDENTIALS, 1, "no AWS credentials"),
        (
            ["restore", "volume", "vol-1", "--region", "us-east-1"],
            NO_CREDENTIALS,
            1,
            "no AWS credentials",
        ),
        (
            ["findings"],
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
            1,
            "cannot reach http://127.0.0.1:9",
        ),
        (["findings"], {"AWS_MAX_ATTEMPTS": "abc"}, 2, "AWS_MAX_ATTEMPTS must be a whole number"),
        (["findings", "--table", ""], {}, 2, "invalid value"),
        (["sweep", "--role-arn", "garbage", "--regions", "us-east-1"], {}, 1, ""),
        (["--profile", "no-such-profile", "init"], {}, 2, "could not be found"),
    ],
    ids=[
        "init-no-credentials",
        "findings-no-credentials",
        "approve-no-credentials",
        "restore-no-credentials",
        "nothing-listening",
        "max-attempts-abc",
        "empty-table",
        "garbage-role-arn",
        "unknown-profile",
    ],
)
def test_ordinary_mistakes_get_one_line_and_the_documented_exit_code(
    server_account, args, env, code, says
) -> None:
    result = run_govbot(*args, env=env)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr


def test_debug_shows_the_traceback_for_a_bug_report(server_account) -> None:
    result = run_govbot("--debug", "findings", env={"AWS_MAX_ATTEMPTS": "abc"})
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_version_is_printed() -> None:
    result = run_govbot("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("govbot ")


def test_detectors_lists_each_detector_with_its_settings_and_reads() -> None:
    from govbot.detectors import DETECTORS

    result = run_govbot("detectors", "-f", "json")
    assert result.returncode == 0, result.stderr
    listed = {d["id"]: d for d in json.loads(result.stdout)["detectors"]}
    assert set(listed) == set(DETECTORS)
    idle = listed["idle-endpoint"]
    assert idle["settings"]["idle_hours"] == 24.0
    assert "sagemaker:ListInferenceComponents" in idle["reads"]
    assert idle["fix"] == "delete-endpoint"
    table = run_govbot("detectors", env={"COLUMNS": "80"})
    assert "expired-snapshot  fix: retire-snapshot" in table.stdout


def test_sweep_runs_only_the_detectors_asked_for(server_estate) -> None:
    result = run_govbot(
        "sweep", "--regions", "us-east-1", "--detectors", "orphaned-volume", "-f", "json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {f["detector"] for f in report["findings"]} == {"orphaned-volume"}
    assert list(report["summary"]["by_detector"]) == ["orphaned-volume"]
    wrong = run_govbot("sweep", "--detectors", "idle-endpont")
    assert wrong.returncode == 2
    assert "unknown idle-endpont" in wrong.stderr


def test_prices_shows_each_figure_with_its_source(server_account) -> None:
    """`govbot prices` over HTTP against the emulated Price List: the figures govbot would use,
    per the unit a person can hold against the pricing calculator."""
    result = run_govbot(
        "prices", "--region", "us-east-1", "-t", "g5.xlarge", "-t", "p5.48xlarge", "-t", "gp3",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    quotes = {(q["kind"], q["type"]): q for q in answer["prices"]}
    p5 = quotes[("ec2_hourly", "p5.48xlarge")]
    assert (p5["usd"], p5["per"]) == (55.04, "hour")
    assert p5["source"] == "AWS Price List 2026-09-01, SKU 3D4V8UAYEMB38GU2"
    throughput = quotes[("ebs_throughput_mibps_month", "gp3")]
    assert (throughput["usd"], throughput["per"]) == (0.04, "MiBps-month")
    assert throughput["listed"] == "$40.96 per GiBps-mo"
    assert quotes[("ebs_gb_month", "gp3")]["usd"] == 0.08
    assert answer["note"] is None

    # A discount applies to list prices, and the Price List can be turned off.
    policy_file = ROOT / "tests" / "fixtures" / "prices-policy.yaml"
    table = run_govbot("prices", "--region", "us-east-1", "-t", "g5.xlarge", "-p", str(policy_file))
    assert table.returncode == 0, table.stderr
    assert "$0.9054 per hour" in table.stdout  # $1.006 less 10%
    assert "bundled table 2026-09-10" in table.stdout
    assert "the policy turns the Price List off" in table.stderr

    unknown = run_govbot("prices", "--region", "us-east-1", "-t", "zz.nothing")
    assert unknown.returncode == 2
    assert "govbot knows no price for zz.nothing" in unknown.stderr


def test_an_older_state_table_is_refused_until_init_upgrades_it(server_account) -> None:
    from govbot.aws import AwsClients
    from govbot.state.store import SCHEMA_PK, SCHEMA_VERSION, Store

    store = Store(AwsClients(), "us-east-1")
    assert store.create()
    AwsClients().client("dynamodb", "us-east-1").delete_item(
        TableName=store.table, Key={"pk": {"S": SCHEMA_PK}, "sk": {"S": "RECORD"}}
    )  # as the release before left it: no schema record
    refused = run_govbot("findings")
    assert refused.returncode == 2
    assert "written by an older govbot (schema 1" in refused.stderr
    assert "run `govbot init` to upgrade it in place" in refused.stderr
    upgraded = run_govbot("init")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "schema 1 -> 2: 0 finding(s) rewritten" in upgraded.stdout  # each step said
    assert f"-> {SCHEMA_VERSION}: 0 finding(s) rewritten" in upgraded.stdout
    again = run_govbot("init")
    assert f"exists, schema {SCHEMA_VERSION}" in again.stdout
    assert run_govbot("findings").returncode == 0
