"""A local Slack stand-in on loopback for the demo and the tests.

slack_sdk talks to it through ``base_url`` (SLACK_API_URL) exactly as it talks to Slack; it
answers the Web API methods govbot uses, accepts response_url posts, and records every call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    path: str
    body: dict[str, Any]


@dataclass
class SlackStandIn:
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # The bot token's scopes, as Slack says them in every Web API answer's x-oauth-scopes
    # header (api.slack.com, "Scopes"); the channels there are, and those the bot is in.
    scopes: tuple[str, ...] = ("chat:write", "usergroups:read", "channels:read")
    channels: dict[str, str] = field(default_factory=lambda: {"C0DIGEST": "ml-waste"})
    joined: set[str] = field(default_factory=lambda: {"C0DIGEST"})
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "click") -> str:
        return f"{self.url}/actions/{name}"

    def posted(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.path == f"/api/{method}"]

    def responses(self) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.path.startswith("/actions/")]

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if "json" in self.headers.get("Content-Type", ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                standin.calls.append(Call(self.path, body))
                answer = standin._answer(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-oauth-scopes", ",".join(standin.scopes))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: stopping waits for it (the default half second, in every test).
        server = self._server
        threading.Thread(target=lambda: server.serve_forever(0.02), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path == "/api/chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": f"{len(self.calls)}.000100"}
        if path == "/api/usergroups.users.list":
            users = self.usergroups.get(body.get("usergroup", ""))
            return (
                {"ok": True, "users": users}
                if users is not None
                else {"ok": False, "error": "no_such_subteam"}
            )
        if path == "/api/auth.test":
            # api.slack.com/methods/auth.test: who the token is.
            return {"ok": True, "user": "govbot", "user_id": "U0GOVBOT", "team_id": "T0TEAM"}
        if path == "/api/conversations.info":
            # api.slack.com/methods/conversations.info: the channel by its id (a name is
            # channel_not_found); is_member says whether the bot is in it.
            found = str(body.get("channel", ""))
            if found not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            return {
                "ok": True,
                "channel": {
                    "id": found,
                    "name": self.channels[found],
                    "is_member": found in self.joined,
                },
            }
        if path.startswith("/actions/"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}
