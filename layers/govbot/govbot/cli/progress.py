"""A sweep's progress on stderr: a live bar (units done of total, elapsed) at a terminal, plain
lines elsewhere (a pipe or a log keeps them), nothing with --quiet."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)


class SweepProgress:
    """Called once per unit (a detector in a region) as it ends, with a line saying how."""

    def __init__(self, console: Console, total: int, *, shown: int = 1) -> None:
        self.console = console
        self.shown = shown  # 0 quiet, 1 normal, 2 verbose
        self.lock = threading.Lock()
        self.bar: Progress | None = None
        if shown and console.is_terminal:
            self.bar = Progress(
                TextColumn("sweeping"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("units"),
                TimeElapsedColumn(),
                TextColumn("[dim]{task.description}"),
                console=console,
            )
            self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> SweepProgress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar:
            self.bar.stop()

    def __call__(self, message: str) -> None:
        with self.lock:
            if self.bar:
                self.bar.update(self.task, advance=1, description=escape(message))
                if self.shown > 1:
                    self.bar.console.print(f"[dim]{escape(message)}[/]", highlight=False)
            elif self.shown:
                self.console.print(f"[dim]{escape(message)}[/]", highlight=False, soft_wrap=True)
