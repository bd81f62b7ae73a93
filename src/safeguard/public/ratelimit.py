"""Rate limits on the public report form, per client address, with the maintained `limits` library.

Two windows (force settings in `config.py`):
- every submission of the form, valid or not (`SAFEGUARD_PUBLIC_ATTEMPT_LIMIT`, default 20 per 10 minutes);
- reports actually stored (`SAFEGUARD_PUBLIC_REPORT_LIMIT`, default 5 per 10 minutes), so that a person who
  makes a few mistakes in the form is not locked out before their report is sent.

Safeguard serves the pages from one process, so the counts live in memory (a restart forgets them). Run more
than one process and each keeps its own counts: put the limit at the proxy instead. The address is the one the
server sees; behind a reverse proxy, start uvicorn with --proxy-headers and --forwarded-allow-ips so that it is
the visitor's and not the proxy's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from safeguard.config import Settings


@dataclass
class PublicLimiter:
    attempts: RateLimitItem
    reports: RateLimitItem
    limiter: MovingWindowRateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> PublicLimiter:
        return cls(parse(settings.safeguard_public_attempt_limit), parse(settings.safeguard_public_report_limit),
                   MovingWindowRateLimiter(MemoryStorage()))

    def attempt(self, client: str) -> bool:
        """Count one submission of the form; False if this address has already made as many as allowed."""
        return self.limiter.hit(self.attempts, "attempt", client)

    def may_report(self, client: str) -> bool:
        """Whether this address may send another report now (counts nothing)."""
        return self.limiter.test(self.reports, "report", client)

    def reported(self, client: str) -> None:
        """Count one stored report."""
        self.limiter.hit(self.reports, "report", client)

    def retry_after(self, client: str) -> int:
        """Seconds until this address may submit again (at least 1)."""
        waits = []
        for item, kind in ((self.attempts, "attempt"), (self.reports, "report")):
            stats = self.limiter.get_window_stats(item, kind, client)
            if stats.remaining <= 0:
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits, default=1)))


def limiter_for(app: FastAPI) -> PublicLimiter:
    """The application's limiter, made on first use from its settings (one per application)."""
    limiter: PublicLimiter | None = getattr(app.state, "public_limiter", None)
    if limiter is None:
        limiter = PublicLimiter.from_settings(app.state.settings)
        app.state.public_limiter = limiter
    return limiter
