"""Text for Slack's mrkdwn, where ``<!channel>``, ``<@U123>`` and ``<https://…|label>`` are
controls, not words (api.slack.com/reference/surfaces/formatting#escaping).

Everything interpolated into Slack text that govbot did not write itself (tag values, resource
names, reasons, AWS error text, notes) goes through ``escape``: Slack asks for ``&``, ``<`` and
``>`` to be escaped, and then shows them as typed, so a tag cannot ping a channel or dress a
link. The mentions govbot makes (an approver, an owner from the policy) are built by
``mention`` after the escaping, from ids in Slack's own form only.
"""

from __future__ import annotations

import re

# A Slack user (U…, W…) or user group (S…) id: capital letters and digits.
_ID = re.compile(r"^[UWS][A-Z0-9]{2,30}$")
# SNS text is plain, but a client may render it as mrkdwn (AWS Chatbot posts it to Slack, an
# email client may link it): angle brackets become look-alikes there, which nothing parses.
_PLAIN = str.maketrans({"<": "\u2039", ">": "\u203a"})  # single angle quotation marks


def escape(text: object) -> str:
    """``text`` as Slack shows it literally: ``&``, ``<`` and ``>`` escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A mention govbot makes on purpose; anything not an id in Slack's form is shown as text."""
    if _ID.match(user_id):
        prefix = "!subteam^" if user_id.startswith("S") else "@"
        return f"<{prefix}{user_id}>"
    return escape(user_id)


def plain(text: object) -> str:
    """Text for SNS: no angle brackets that a rendering client could take for a mention or a
    link."""
    return str(text).translate(_PLAIN)
