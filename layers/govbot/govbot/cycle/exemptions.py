"""Tag-based exemptions, the same for every detector."""

from __future__ import annotations

from datetime import date

EXEMPT_TAG = "govbot:exempt"
SNOOZE_TAG = "govbot:snooze-until"


def exemption(
    tags: dict[str, str],
    detector_id: str,
    today: date,
    exempt_tag: str = EXEMPT_TAG,
    snooze_tag: str = SNOOZE_TAG,
) -> str | None:
    """Why the resource is exempt from ``detector_id``, or None when it is not.

    ``exempt_tag`` is ``true`` (every detector) or a comma list of detector ids;
    ``snooze_tag`` is a date, YYYY-MM-DD, up to and including which the resource is exempt.
    A past or unreadable date exempts nothing.
    """
    value = tags.get(exempt_tag, "").strip()
    if value.lower() == "true":
        return f"tag {exempt_tag}=true"
    if detector_id in {v.strip() for v in value.split(",")}:
        return f"tag {exempt_tag} names {detector_id}"
    until = tags.get(snooze_tag, "").strip()
    if until:
        try:
            if today <= date.fromisoformat(until):
                return f"snoozed until {until}"
        except ValueError:
            return None
    return None
