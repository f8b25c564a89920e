"""The sweep's progress on stderr: a bar at a terminal, plain lines in a pipe, none when quiet."""

import io

from rich.console import Console

from govbot.cli.progress import SweepProgress


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=100, color_system=None), buffer


def test_a_terminal_gets_a_bar_with_units_done_of_total_and_time() -> None:
    term, buffer = console(terminal=True)
    with SweepProgress(term, 4) as progress:
        progress("us-east-1 idle-endpoint: 2 finding(s)")
        progress("us-east-1 orphaned-volume: 1 finding(s)")
    shown = buffer.getvalue()
    assert "2/4 units" in shown
    assert "0:00:0" in shown  # elapsed
    assert "us-east-1 orphaned-volume: 1 finding(s)" in shown


def test_a_pipe_gets_plain_lines_and_quiet_gets_nothing() -> None:
    pipe, buffer = console(terminal=False)
    with SweepProgress(pipe, 2) as progress:
        progress("eu-west-1 idle-endpoint: 0 finding(s)")
    assert buffer.getvalue() == "eu-west-1 idle-endpoint: 0 finding(s)\n"
    assert "units" not in buffer.getvalue()

    for terminal in (True, False):
        quiet, silent = console(terminal)
        with SweepProgress(quiet, 2, shown=0) as progress:
            progress("eu-west-1 idle-endpoint: 0 finding(s)")
        assert silent.getvalue() == ""
