"""runaway-training-job: the global limit, the expected-hours tag, and what is left alone."""

from datetime import timedelta

import pytest

from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import make_training_job, team_tags
from tests.helpers.sweeping import REGION, by_id, sweep_one

HOUR = timedelta(hours=1)


def job(clients, now, name, hours, tags=None, instance="ml.p3.2xlarge", count=1) -> str:
    make_training_job(
        clients,
        REGION,
        name,
        instance,
        count,
        team_tags("t") if tags is None else tags,
        now - hours * HOUR,
    )
    return name


@pytest.mark.parametrize(("hours", "runaway"), [(23.5, False), (24.5, True)])
def test_global_limit(clients, now, hours, runaway) -> None:
    job(clients, now, "j", hours)
    assert ("j" in by_id(sweep_one(clients, "runaway-training-job", now))) is runaway


@pytest.mark.parametrize(("hours", "runaway"), [(3.9, False), (4.1, True)])
def test_expected_hours_tag_times_factor(clients, now, hours, runaway) -> None:
    job(clients, now, "tagged", hours, team_tags("t", **{"govbot:expected-hours": "2"}))
    found = by_id(sweep_one(clients, "runaway-training-job", now))
    assert ("tagged" in found) is runaway
    if runaway:
        assert found["tagged"].details["limit_hours"] == 4
        assert "govbot:expected-hours=2 x 2" in found["tagged"].reason


def test_tag_replaces_the_global_limit_for_long_jobs(clients, now) -> None:
    job(clients, now, "pretrain", 60, team_tags("t", **{"govbot:expected-hours": "72"}))
    assert by_id(sweep_one(clients, "runaway-training-job", now)) == {}


def test_policy_thresholds(clients, now) -> None:
    job(clients, now, "j", 10, team_tags("t", **{"govbot:expected-hours": "4"}))
    assert "j" in by_id(sweep_one(clients, "runaway-training-job", now, expected_factor=2))
    assert by_id(sweep_one(clients, "runaway-training-job", now, expected_factor=3)) == {}


def test_unusable_tag_falls_back_to_the_global_limit(clients, now) -> None:
    job(clients, now, "j", 30, team_tags("t", **{"govbot:expected-hours": "a while"}))
    f = by_id(sweep_one(clients, "runaway-training-job", now))["j"]
    assert f.details["limit_hours"] == 24
    assert "not a positive number" in f.details["limit_source"]


def test_cost_is_the_monthly_rate_of_the_running_cluster(clients, now) -> None:
    job(clients, now, "big", 50, instance="ml.p3.8xlarge", count=2)
    f = by_id(sweep_one(clients, "runaway-training-job", now))["big"]
    assert f.monthly_cost_usd == pytest.approx(14.688 * 2 * 730)
    assert f.details["instance_count"] == 2
    assert f.details["elapsed_hours"] == pytest.approx(50, abs=0.1)


def test_finished_jobs_are_ignored(clients, now) -> None:
    job(clients, now, "done", 50)
    ext.set_training_job_status(REGION, "done", "Completed", now - HOUR)
    assert by_id(sweep_one(clients, "runaway-training-job", now)) == {}


def test_jobs_in_progress_are_read_in_bulk_not_described(clients, now) -> None:
    job(clients, now, "short", 2)
    job(clients, now, "long", 30)
    report = sweep_one(clients, "runaway-training-job", now)
    assert set(by_id(report)) == {"long"}
    # One SageMaker Search for every job in progress, 100 a page; no DescribeTrainingJob.
    assert report.api_calls["sagemaker.Search"] == 1
    assert "sagemaker.DescribeTrainingJob" not in report.api_calls
