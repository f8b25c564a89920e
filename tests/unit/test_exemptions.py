from datetime import date

import pytest

from govbot.cycle.exemptions import exemption

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_true_exempts_from_every_detector(value: str) -> None:
    assert exemption({"govbot:exempt": value}, "idle-endpoint", TODAY)
    assert exemption({"govbot:exempt": value}, "untagged-resource", TODAY)


def test_comma_list_exempts_only_the_named_detectors() -> None:
    tags = {"govbot:exempt": "idle-endpoint, log-retention-gap"}
    assert exemption(tags, "idle-endpoint", TODAY)
    assert exemption(tags, "log-retention-gap", TODAY)
    assert exemption(tags, "orphaned-volume", TODAY) is None


@pytest.mark.parametrize("value", ["false", "", "yes", "idle"])
def test_other_values_exempt_nothing(value: str) -> None:
    assert exemption({"govbot:exempt": value}, "idle-endpoint", TODAY) is None


@pytest.mark.parametrize(
    ("until", "exempt"),
    [("2026-12-01", True), ("2026-11-26", True), ("2026-11-25", False), ("soon", False)],
)
def test_snooze_until_a_date_inclusive(until: str, exempt: bool) -> None:
    result = exemption({"govbot:snooze-until": until}, "orphaned-volume", TODAY)
    assert bool(result) is exempt


def test_custom_tag_names() -> None:
    tags = {"finops:skip": "true"}
    assert exemption(tags, "idle-endpoint", TODAY, exempt_tag="finops:skip")
    assert exemption(tags, "idle-endpoint", TODAY) is None
