"""The real `sam build`, without containers: a layer for python3.13 on arm64 and nothing else."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam:
        pytest.fail("SAM CLI not found: run `make test`, which installs it (or set SAM_CLI)")
    out = tmp_path_factory.mktemp("sam-build")
    result = subprocess.run(
        [sam, "build", "--build-dir", str(out), "--template-file", str(ROOT / "template.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_layer_holds_only_cp313_aarch64_binaries(built: Path) -> None:
    site = built / "GovbotLayer" / "python"
    binaries = [p.name for p in site.rglob("*.so")]
    assert binaries, "expected compiled dependencies (pydantic-core, PyYAML)"
    assert all("cpython-313-aarch64-linux-gnu" in b for b in binaries), binaries
    assert (site / "govbot" / "cycle" / "sweep.py").is_file()
    assert (site / "govbot" / "handlers" / "sweep_worker.py").is_file()
    assert (site / "govbot" / "data" / "prices.json").is_file()
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "pydantic_core").is_dir()
    # The CLI and the demo are not shipped to Lambda, nor is boto3 (the runtime has it).
    assert not (site / "govbot" / "demo").exists()
    assert not (site / "govbot" / "cli").exists()
    assert not (site / "govbot_emulator").exists()
    assert not (site / "boto3").exists()
    assert not (site / "botocore").exists()


@pytest.mark.parametrize(
    "function",
    [
        "SweepFunction",
        "RemediateFunction",
        "SlackFunction",
        "RealtimeFunction",
        "BudgetFunction",
        "PlanFunction",
        "SweepWorkerFunction",
        "OrgDigestFunction",
    ],
)
def test_functions_carry_no_third_party_code(built: Path, function: str) -> None:
    files = sorted(p.name for p in (built / function).iterdir())
    assert files == ["app.py"]
