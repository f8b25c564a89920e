"""The `govbot` command: every command group registered on one application, and one error
line instead of a traceback."""

from __future__ import annotations

import sys

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from rich.markup import escape

# Importing each group registers its commands on the application, in the order --help lists
# them: the daily work first.
# isort: off
from govbot.cli import sweeping, findings, restoring, spend, catalogue, doctor  # noqa: F401

# isort: on
from govbot.cli.app import (
    EXIT_NOTHING_SWEPT,
    EXIT_USAGE,
    app,
    err,
)


def explain(exc: BaseException) -> tuple[str, int]:
    """One line that says what is wrong and what to do, and the exit code for it: 1 when
    nothing could be done (AWS unreachable or refusing), 2 for bad input."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials: set AWS_PROFILE (or pass --profile), run `aws sso login`, or "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: check AWS_PROFILE against ~/.aws/config", EXIT_USAGE
    if isinstance(exc, NoRegionError):
        return "no region: pass --region/--table-region or set AWS_DEFAULT_REGION", EXIT_USAGE
    if isinstance(exc, EndpointConnectionError):
        return (
            f"cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}: check your network, or "
            "AWS_ENDPOINT_URL if you point govbot at an emulator",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, ParamValidationError):
        return f"invalid value: {exc.kwargs.get('report', exc)}".replace("\n", " "), EXIT_USAGE
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return (
            f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, BotoCoreError):
        return f"AWS call failed: {exc}", EXIT_NOTHING_SWEPT
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_USAGE
    if isinstance(exc, ValueError):
        return str(exc), EXIT_USAGE
    return f"{type(exc).__name__}: {exc} (rerun with --debug and report it)", EXIT_NOTHING_SWEPT


def main() -> None:
    """The command line, with one error line instead of a traceback for user and environment
    errors (``--debug`` shows the traceback)."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if "--debug" in sys.argv:
            raise
        message, code = explain(exc)
        err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(code)
