"""Back-off for network connectors: try again after a pause, honouring what the server asks.

``retry(fn, attempts=5, base_delay=1.0, retry_on=(TimeoutError,), delay_hint=hint)`` calls
``fn()`` until it returns. When it raises an exception that ``retry_on`` accepts (a tuple of
exception classes, or a predicate ``exc -> bool``), it waits and calls again, at most
``attempts`` calls in all; the last exception propagates unchanged. The pause is
``delay_hint(exc)`` when that gives a number (a server's ``Retry-After``: Graph and EWS send it
with 429 Too Many Requests and 503 Service Unavailable), otherwise exponential back-off
``base_delay * 2**(n-1)`` with a little jitter, never longer than ``max_delay``.

``retry_after_seconds(header)`` reads a ``Retry-After`` value (delay-seconds or an HTTP date).
"""

from __future__ import annotations

import email.utils
import random
import time
from datetime import datetime, timezone
from typing import Callable, TypeVar

T = TypeVar("T")



def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 1.0,
    retry_on=(Exception,),
    delay_hint: Callable[[BaseException], float | None] | None = None,
    max_delay: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` up to ``attempts`` times, pausing between tries; return its first result."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    accepts = _acceptor(retry_on)
    for n in range(1, attempts + 1):
        try:
            return fn()
        except BaseException as exc:  # filtered by ``accepts``; everything else propagates
            if n >= attempts or not accepts(exc):
                raise
            hint = delay_hint(exc) if delay_hint else None
            if hint is not None:
                pause = min(max(float(hint), 0.0), max_delay)
            else:
                pause = min(base_delay * 2 ** (n - 1), max_delay)
                pause += random.uniform(0, pause * 0.1)
            sleep(pause)
    raise AssertionError("unreachable")  # the loop either returns or raises


def _acceptor(retry_on) -> Callable[[BaseException], bool]:
    if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
        return lambda exc: isinstance(exc, retry_on)
    if isinstance(retry_on, tuple):
        return lambda exc: isinstance(exc, retry_on)
    if callable(retry_on):
        return lambda exc: bool(retry_on(exc))
    raise TypeError("retry_on must be exception classes or a predicate")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (a number or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)
