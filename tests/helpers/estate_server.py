"""The demo estate in an emulated account of its own process, for tests that share it and only
read. Moto keeps its accounts in module globals, so a server in the test process would be
wiped by the next test's reset; this one is not. It prints one JSON line (its URL and the
findings the estate must produce), then serves until its stdin closes.

Run as: python -m tests.helpers.estate_server
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

from moto.server import ThreadedMotoServer

from govbot.aws import AwsClients
from govbot_emulator import estate, moto_extensions


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_extensions.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = url
    clients = AwsClients()
    seeded = estate.seed(clients, datetime.now(UTC))
    print(
        json.dumps(
            {
                "url": url,
                "account_id": clients.account_id(estate.PRIMARY),
                "expected": sorted(estate.expected_findings(seeded)),
            }
        ),
        flush=True,
    )
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
