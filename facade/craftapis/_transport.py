"""httpx transports that pace, retry and wait: :class:`PolicyTransport` and its async twin.

Per request::

    reserve a slot from the limiter (sleep and ask again while it says wait)
    → send through the inner transport
    → a retryable status (or 429): read the body, parse the server's wait hint
    → feed the outcome back to the limiter
    → failed? ask RetryPolicy.decide (the call_options policy, else the transport's);
      retry: sleep the decided wait, resend; otherwise return the response / re-raise.

A final retryable status is *returned* (the facade maps it to an error); transport errors
(``httpx.ConnectError``, ``httpx.TimeoutException`` ...) are re-raised for the facade to
map. A final failed response carries ``response.extensions["craftapis.retry_after"]``
(the parsed wait hint, seconds), ``["craftapis.attempts"]`` and
``["craftapis.retry_reason"]``. The only exception raised by the transport itself is
:class:`~craftapis.RateLimitError`, when the limiter's wait would pass the deadline.

The decision logic lives in :class:`~craftapis.RetryPolicy` and the limiters. Every step but
sending, reading and sleeping is :class:`_PolicyCore` here; ``AsyncPolicyTransport`` is written once
in ``_async_transport.py`` and ``PolicyTransport`` is generated from it (``scripts/unasync.py``,
``_sync_transport.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final

import httpx

from ._context import IDEMPOTENT_EXTENSION, OPTIONS_EXTENSION, current_call_options
from ._errors import RateLimitError, redact_url
from ._guards import BodyReader, Limits, deadline_timeout, is_redirect, redirect_request
from ._ratelimit import NoRateLimiter, RateLimiter
from ._retry import RetryDecision, RetryPolicy, WaitHintParser, standard_wait_hint

try:  # re-iterable (file fields seek back to 0); private, so guarded
    from httpx._multipart import MultipartStream as _MultipartStream

    _REPLAYABLE: tuple[type, ...] = (httpx.ByteStream, _MultipartStream)
except ImportError:  # pragma: no cover
    _REPLAYABLE = (httpx.ByteStream,)

__all__ = [
    "ATTEMPTS_EXTENSION",
    "BUFFER_EXTENSION",
    "RETRY_AFTER_EXTENSION",
    "RETRY_REASON_EXTENSION",
    "TransportStats",
]

logger = logging.getLogger("craftapis")

#: Request extension: read the whole body inside the transport, so that a connection
#: reset mid-body is retried like any other transport error (not for streaming downloads).
BUFFER_EXTENSION: Final = "craftapis.buffer"
#: Response extensions set on a final failed (retryable-status) response.
RETRY_AFTER_EXTENSION: Final = "craftapis.retry_after"
ATTEMPTS_EXTENSION: Final = "craftapis.attempts"
RETRY_REASON_EXTENSION: Final = "craftapis.retry_reason"


class TransportStats:
    """Counters of one transport (thread-safe): for tests, benchmarks and debugging.

    ``requests`` handled, ``attempts`` sent (first tries and retries), ``retries``,
    ``throttled`` (429 responses received), ``waits`` (sleeps taken, for the limiter or
    before a retry) and ``slept`` (their total, in seconds).
    """

    __slots__ = ("_lock", "attempts", "requests", "retries", "slept", "throttled", "waits")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.attempts = 0
        self.retries = 0
        self.throttled = 0
        self.waits = 0
        self.slept = 0.0

    def reset(self) -> None:
        with self._lock:
            self.requests = self.attempts = self.retries = self.throttled = self.waits = 0
            self.slept = 0.0

    def as_dict(self) -> dict[str, float]:
        with self._lock:
            return {
                "requests": self.requests,
                "attempts": self.attempts,
                "retries": self.retries,
                "throttled": self.throttled,
                "waits": self.waits,
                "slept": self.slept,
            }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"TransportStats({fields})"


def _replay(
    response: httpx.Response,
    raw: bytes,
    request: httpx.Request,
    extensions: dict[str, Any] | None = None,
) -> httpx.Response:
    """A fresh, unread response over an already-received body (decoded by `BodyReader`)."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        request=request,
        extensions=response.extensions if extensions is None else extensions,
    )


class _PolicyCore:
    """Everything the sync and async transports share: all but sending, reading and sleeping."""

    def __init__(
        self,
        retry: RetryPolicy | None,
        limiter: RateLimiter | None,
        wait_hint: WaitHintParser | None,
        clock: Callable[[], float],
        limits: Limits | None = None,
        follow_redirects: bool = True,
    ) -> None:
        self.limits = limits if limits is not None else Limits()
        self.follow_redirects = follow_redirects
        self.retry = retry if retry is not None else RetryPolicy()
        self.limiter: RateLimiter = limiter if limiter is not None else NoRateLimiter()
        self.wait_hint: WaitHintParser = wait_hint if wait_hint is not None else standard_wait_hint
        self.stats = TransportStats()
        self._clock = clock

    def _prepare(self, request: httpx.Request) -> tuple[RetryPolicy, bool | None, bool]:
        """(policy, idempotent, whether the body must be made replayable) for this request."""
        extensions = request.extensions
        # a craftapis client resolved this request's options (its own, call_options, with_options)
        options = extensions.get(OPTIONS_EXTENSION) or current_call_options()
        policy = options.retry if options.retry is not None else self.retry
        idempotent = options.idempotent
        if idempotent is None:
            flag = extensions.get(IDEMPOTENT_EXTENSION)
            if flag is not None:
                idempotent = bool(flag)
        if options.timeout is not None:
            extensions["timeout"] = httpx.Timeout(options.timeout).as_dict()
        rewind = policy.max_attempts > 1 and not isinstance(request.stream, _REPLAYABLE)
        with self.stats._lock:
            self.stats.requests += 1
        return policy, idempotent, rewind

    def _slot(self, request: httpx.Request, policy: RetryPolicy, start: float) -> float:
        """Ask the limiter for a slot: 0.0 to send now, else seconds to sleep before asking again."""
        wait = self.limiter.reserve(request)
        if wait <= 0.0:  # the common case stays inline: no second method call per attempt
            with self.stats._lock:
                self.stats.attempts += 1
            return 0.0
        return self._granted(request, wait, policy, start)

    def _granted(self, request: httpx.Request, wait: float, policy: RetryPolicy, start: float) -> float:
        """What `_slot` makes of the limiter's answer `wait` (an async transport may await it elsewhere)."""
        if wait <= 0.0:
            with self.stats._lock:
                self.stats.attempts += 1
            return 0.0
        elapsed = self._clock() - start
        if elapsed + wait > policy.deadline:
            raise RateLimitError(
                f"the client-side rate limiter asks to wait {wait:.1f} s, which would pass the "
                f"{policy.deadline} s deadline ({elapsed:.1f} s spent)",
                retry_after=wait,
                method=request.method,
                url=request.url,
            )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("rate limiter: %s %s waits %.3f s", request.method, redact_url(request.url), wait)
        return wait

    def _cap_timeout(self, request: httpx.Request, policy: RetryPolicy, start: float) -> None:
        """Cap every timeout phase of the next attempt at the time left before the call's deadline, so a
        stalled server cannot hold a call past it (between chunks, `BodyReader` checks the deadline too)."""
        remaining = policy.deadline - (self._clock() - start)
        timeout = request.extensions.get("timeout")
        if not isinstance(timeout, dict) or not timeout:
            timeout = {"connect": None, "read": None, "write": None, "pool": None}
        elif remaining > 0.001:
            for value in timeout.values():
                if value is None or value > remaining:
                    break
            else:
                return  # every phase ends before the deadline already (the common case): keep the dict
        request.extensions["timeout"] = deadline_timeout(timeout, remaining)

    def _reader(
        self, request: httpx.Request, response: httpx.Response, policy: RetryPolicy, start: float
    ) -> BodyReader:
        return BodyReader(
            request,
            response,
            limit=self.limits.max_body_size,
            deadline=policy.deadline,
            deadline_at=start + policy.deadline,
            clock=self._clock,
        )

    def _next_hop(self, request: httpx.Request, response: httpx.Response, hops: int) -> httpx.Request | None:
        """The next request when `response` is a redirect craftapis follows, else None."""
        if not (self.follow_redirects and is_redirect(response)):
            return None
        return redirect_request(request, response, hops=hops, limits=self.limits)

    def _slept(self, seconds: float) -> None:
        with self.stats._lock:
            self.stats.waits += 1
            self.stats.slept += seconds

    def _parse_hint(self, view: httpx.Response) -> float | None:
        try:
            view.read()
            return self.wait_hint(view)
        except Exception:  # a broken adapter must not turn a retry into a crash
            logger.debug("wait-hint parser failed", exc_info=True)
            return None

    def _on_error(
        self,
        request: httpx.Request,
        policy: RetryPolicy,
        idempotent: bool | None,
        attempt: int,
        start: float,
        error: httpx.TransportError,
    ) -> RetryDecision:
        self.limiter.observe(request, None)
        decision = policy.decide(
            attempt=attempt,
            method=request.method,
            idempotent=idempotent,
            response=None,
            error=error,
            elapsed=self._clock() - start,
            wait_hint=None,
        )
        self._log_decision(request, decision)
        return decision

    def _on_read(
        self,
        request: httpx.Request,
        response: httpx.Response,
        raw: bytes,
        policy: RetryPolicy,
        idempotent: bool | None,
        attempt: int,
        start: float,
    ) -> tuple[RetryDecision, httpx.Response]:
        """Handle a 429 or retryable-status response whose raw body was read: (decision, response to
        return). A decision with ``retry=True`` means: sleep ``decision.wait`` and send again."""
        status = response.status_code
        retryable = status in policy.retry_statuses
        view = _replay(response, raw, request)
        hint = self._parse_hint(view)
        if status == 429:
            with self.stats._lock:
                self.stats.throttled += 1
        self.limiter.observe(request, view, wait_hint=hint)
        if not retryable:
            decision = RetryDecision(False, 0.0, f"status {status} is not retryable")
        else:
            decision = policy.decide(
                attempt=attempt,
                method=request.method,
                idempotent=idempotent,
                response=view,
                error=None,
                elapsed=self._clock() - start,
                wait_hint=hint,
            )
        self._log_decision(request, decision)
        if decision.retry:
            return decision, view
        extensions = dict(response.extensions)
        extensions[RETRY_AFTER_EXTENSION] = hint
        extensions[ATTEMPTS_EXTENSION] = attempt
        extensions[RETRY_REASON_EXTENSION] = decision.reason
        return decision, _replay(response, raw, request, extensions)

    def _retrying(self) -> None:
        with self.stats._lock:
            self.stats.retries += 1

    def _log_decision(self, request: httpx.Request, decision: RetryDecision) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s: %s",
                "retrying" if decision.retry else "not retrying",
                request.method,
                redact_url(request.url),
                decision.reason,
            )
