"""The Slack app manifest asks for exactly the scopes of the Slack methods govbot calls."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from govbot.delivery.slack import SCOPES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "govbot" / "govbot"
# slack_sdk's WebClient names each method after the Web API's, dots as underscores.
WEB_API = re.compile(r"^(chat|usergroups|users|conversations|auth|reactions|files|views)_\w+$")


def slack_calls(source: str) -> set[str]:
    """The Web API methods a module calls on a slack_sdk WebClient (``client.chat_postMessage``
    is chat.postMessage)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and WEB_API.match(node.func.attr)
        ):
            family, _, method = node.func.attr.partition("_")
            found.add(f"{family}.{method.replace('_', '.')}")
    return found


def test_the_manifest_asks_for_the_scopes_of_the_methods_called_and_no_more() -> None:
    called = set().union(*(slack_calls(p.read_text()) for p in PACKAGE.rglob("*.py")))
    assert called == set(SCOPES)
    manifest = yaml.safe_load((ROOT / "docs" / "slack-app-manifest.yaml").read_text())
    needed = {scope for scope in SCOPES.values() if scope}
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/actions")


def test_the_check_sees_a_call_the_map_lacks() -> None:
    assert slack_calls("client.conversations_members(channel='C1')") == {"conversations.members"}
    assert slack_calls("client.usergroups_users_list(usergroup='S1')") == {"usergroups.users.list"}
