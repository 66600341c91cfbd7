"""Progress on long work: a bar on a terminal, plain lines for cron and logs (stderr either way)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, unit: str = "items", stream=None, quiet: bool = False):
        from woo_collector.text import printable

        self.label, self.total, self.unit = printable(label), total, unit
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.count = 0
        self.start = time.monotonic()
        self._last_line = self.start
        self._bar = None
        if not quiet and _isatty(self.stream):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                     console=Console(file=self.stream), transient=True)
            self._bar.start()
            from rich.markup import escape

            self._task = self._bar.add_task(escape(self.label), total=total, rate="")

    def update(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if self._bar is not None:
            self._bar.update(self._task, advance=n, rate=f"{self.rate():.0f} {self.unit}/s")
        elif not self.quiet and now - self._last_line >= 10:
            self._last_line = now
            total = f"/{self.total}" if self.total else ""
            print(f"{self.label}: {self.count}{total} {self.unit} ({self.rate():.0f}/s)", file=self.stream, flush=True)

    def rate(self) -> float:
        return self.count / max(time.monotonic() - self.start, 1e-6)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
