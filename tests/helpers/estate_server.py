"""The demo estate in an emulated account of its own process, for tests that share it and only
read. Moto keeps its accounts in module globals, so a server in the test process would be
wiped by the next test's reset; this one is not. It prints one JSON line (its URL and the
findings the estate must produce), then serves until its stdin closes.

Run as: python -m tests.helpers.estate_server [--iam ROLE [--less NAME=ACTION,ACTION]...]

With --iam, IAM is enforced once the estate is seeded (moto's IAM simulation), and the line
also carries, under "users", the keys of a user whose only policy is `govbot iam-policy --for
ROLE` (for state tables named govbot*), and of one more user per --less, lacking those actions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from contextlib import ExitStack
from datetime import UTC, datetime

from moto.server import ThreadedMotoServer

from govbot.aws import AwsClients
from govbot_emulator import estate, moto_extensions


def iam_user(clients: AwsClients, name: str, role: str, without: list[str]) -> dict[str, str]:
    """A user whose only permissions are govbot's policy for ``role``, less ``without``."""
    from govbot.cli.iam import policy

    # Tables named govbot*: each test keeps its own table in the one account.
    document = policy(role, account=clients.account_id(estate.PRIMARY), table="govbot*")
    for statement in document["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if a not in without]
    iam = clients.client("iam", estate.PRIMARY)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="govbot", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iam")
    parser.add_argument("--less", action="append", default=[])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_extensions.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = url
    clients = AwsClients()
    seeded = estate.seed(clients, datetime.now(UTC))
    users = {}
    if args.iam:
        users["full"] = iam_user(clients, "govbot-cli", args.iam, [])
        for variant in args.less:
            name, _, actions = variant.partition("=")
            users[name] = iam_user(clients, f"govbot-cli-{name}", args.iam, actions.split(","))
    with ExitStack() as enforced:
        if args.iam:
            from moto.core.authorization import enable_iam_authentication
            from moto.iam.access_control import IAMRequest

            # What is tested is the policy, not SigV4: moto recomputes signatures over its
            # own reading of a request and disagrees with botocore's for Bedrock's paths.
            IAMRequest.check_signature = lambda _self: None  # type: ignore[method-assign]
            enforced.enter_context(enable_iam_authentication())
        print(
            json.dumps(
                {
                    "url": url,
                    "account_id": clients.account_id(estate.PRIMARY),
                    "expected": sorted(estate.expected_findings(seeded)),
                    "users": users,
                }
            ),
            flush=True,
        )
        sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
