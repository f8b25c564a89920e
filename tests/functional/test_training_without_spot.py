"""training-without-spot: advice on long GPU jobs without spot or checkpoints, in seconds at
CreateTrainingJob and from the sweep; never an action."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.engine import govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import make_training_job, team_tags
from tests.conftest import FakeLambdaContext, load_event, load_function
from tests.helpers.sweeping import REGION, by_id, sweep_one

HOUR = timedelta(hours=1)
G5_TRAINING_HOURLY = 1.515  # ml.g5.2xlarge training, us-east-1 (the emulated Price List)


def job(clients, now, name="j", instance="ml.g5.2xlarge", count=2, age=HOUR, **kw: Any) -> str:
    make_training_job(clients, REGION, name, instance, count, team_tags("nlp"), now - age, **kw)
    return name


def test_a_long_gpu_job_on_demand_gets_the_spot_saving(clients, now) -> None:
    job(clients, now, max_runtime_hours=48)
    f = by_id(sweep_one(clients, "training-without-spot", now))["j"]
    # What one full run would save, and said to be per run: never a monthly waste figure.
    assert f.monthly_cost_usd == pytest.approx(round(G5_TRAINING_HOURLY * 2 * 48 * 0.7, 2))
    assert f.cost_kind == "per_run"
    assert f.details["run_on_demand_usd"] == pytest.approx(G5_TRAINING_HOURLY * 2 * 48, abs=0.01)
    assert f.details["run_spot_saving_usd"] == pytest.approx(
        G5_TRAINING_HOURLY * 2 * 48 * 0.7, abs=0.01
    )
    assert "spot would save about $102 of a full run's $145" in f.reason
    assert f.proposed_action.startswith("none (advice)")


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"spot": True}, "spot already"),
        ({"checkpoints": True}, "checkpoints: resumable, left to the team"),
        ({"instance": "ml.m5.4xlarge"}, "no accelerator"),
        ({"max_runtime_hours": 2}, "short stopping condition"),
        ({"age": 30 * HOUR}, "created before the recent window"),
    ],
)
def test_look_alikes_are_left_alone(clients, now, kw, why) -> None:
    job(clients, now, **kw)
    assert by_id(sweep_one(clients, "training-without-spot", now)) == {}, why


def test_ended_jobs_are_left_alone(clients, now) -> None:
    make_training_job(clients, REGION, "done", "ml.p3.2xlarge", 1, team_tags("nlp"), None)
    assert by_id(sweep_one(clients, "training-without-spot", now)) == {}


def test_it_is_advice_only_even_in_auto_mode(clients, store, now) -> None:
    job(clients, now)
    pol = parse_policy(
        {"regions": [REGION], "detectors": {"training-without-spot": {"mode": "auto"}}}
    )
    report = govern(pol, clients, store, now=now, dry_run=False, actor="test").report
    [a] = [a for a in report.actions if a.detector == "training-without-spot"]
    assert a.outcome is Outcome.NO_ACTION
    assert (
        clients.sagemaker(REGION).describe_training_job(TrainingJobName="j")["TrainingJobStatus"]
        == "InProgress"
    )


def test_cloudtrail_create_training_job_brings_the_advice_in_seconds(
    clients, store, now, monkeypatch
) -> None:
    job(clients, now, "llm-sft", age=timedelta(minutes=2), max_runtime_hours=72)
    event = load_event("cloudtrail-create-training-job.json")
    event["detail"]["requestParameters"]["trainingJobName"] = "llm-sft"
    answer = load_function("realtime")(event, FakeLambdaContext())
    advice = [f for f in answer["findings"] if f["detector"] == "training-without-spot"]
    assert [f["resource_id"] for f in advice] == ["llm-sft"]
    assert answer["states"][advice[0]["finding_id"]] == "open"  # notify: told, not decided
