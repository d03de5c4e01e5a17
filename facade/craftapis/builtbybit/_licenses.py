"""License validation: "does member X hold a valid license for resource Y?", as a pure decision.

BuiltByBit's `License` (spec): `content_type`, `content_id`, `buyer_id`, `permanent`, and either
`active` (respected only when permanent) or `start_date`/`end_date` (Unix seconds, respected only
when not permanent). The client streams a resource's licenses into a `LicenseScan`, which stops
at the first valid one; the sync and async clients share it, so they cannot decide differently.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v2.models.license_ import License

__all__ = ["LicenseCheck", "LicenseScan", "LicenseStatus", "check_licenses"]


class LicenseStatus(enum.Enum):
    """Why a license check came out as it did (best outcome over all of the member's licenses)."""

    #: A permanent license marked active, or a temporary one within its dates.
    VALID = "valid"
    #: A temporary license that has not started yet.
    NOT_STARTED = "not_started"
    #: A temporary license whose end date has passed.
    EXPIRED = "expired"
    #: A permanent license that is not active (revoked or disabled), or one whose state is unknown.
    INACTIVE = "inactive"
    #: The member holds no license for this resource.
    NO_LICENSE = "no_license"


# Lower is better: the status reported when nothing is valid is the most hopeful one found.
_RANK = {
    LicenseStatus.VALID: 0,
    LicenseStatus.NOT_STARTED: 1,
    LicenseStatus.EXPIRED: 2,
    LicenseStatus.INACTIVE: 3,
    LicenseStatus.NO_LICENSE: 4,
}


@dataclass(frozen=True)
class LicenseCheck:
    """The answer of `BuiltByBit.check_license(resource_id, member_id)`; truthy when valid.

    Attributes:
        valid: whether the member holds a valid license for the resource right now.
        status: the `LicenseStatus` behind the answer.
        reason: one sentence a log or a support ticket can show.
        resource_id / member_id: what was asked.
        license: the License that decided (None for NO_LICENSE).
        checked_at: the Unix time the dates were compared with.
        licenses_seen: how many of the resource's licenses were read to decide.
    """

    valid: bool
    status: LicenseStatus
    reason: str
    resource_id: int
    member_id: int
    license: License | None = field(default=None, repr=False)
    checked_at: float = 0.0
    licenses_seen: int = 0

    def __bool__(self) -> bool:
        return self.valid


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    # generated models use the UNSET sentinel (falsy, not None) for absent fields
    return None if value is None or type(value).__name__ == "Unset" else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _judge(license: Any, now: float) -> tuple[LicenseStatus, str]:
    permanent = _value(license, "permanent")
    start = _number(_value(license, "start_date"))
    end = _number(_value(license, "end_date"))
    if permanent is None:
        # Not said: dates make it temporary, no dates make it permanent.
        permanent = end is None and start is None
    if permanent:
        active = _value(license, "active")
        if active is True:
            return LicenseStatus.VALID, "permanent license, active"
        if active is False:
            return LicenseStatus.INACTIVE, "permanent license, not active (revoked or disabled)"
        return LicenseStatus.INACTIVE, "permanent license that does not say it is active"
    if start is not None and now < start:
        return LicenseStatus.NOT_STARTED, f"temporary license starting at {start:.0f} (Unix time)"
    if end is None:
        return LicenseStatus.INACTIVE, "temporary license without an end date"
    if now >= end:
        return LicenseStatus.EXPIRED, f"temporary license that ended at {end:.0f} (Unix time)"
    return LicenseStatus.VALID, f"temporary license valid until {end:.0f} (Unix time)"


class LicenseScan:
    """Feeds on licenses one at a time; `feed()` says when the answer is final (a valid one)."""

    def __init__(self, resource_id: int, member_id: int, now: float | None = None) -> None:
        self.resource_id = int(resource_id)
        self.member_id = int(member_id)
        self.now = time.time() if now is None else float(now)
        self._seen = 0
        self._best: tuple[LicenseStatus, str, Any] | None = None

    def _matches(self, license: Any) -> bool:
        content_type = _value(license, "content_type")
        if content_type is not None and str(content_type).lower() != "resource":
            return False  # an addon's license shares the resource's id space only by accident
        buyer = _value(license, "buyer_id")
        content = _value(license, "content_id")
        try:
            return (
                buyer is not None
                and int(buyer) == self.member_id
                and (content is None or int(content) == self.resource_id)
            )
        except (TypeError, ValueError):
            return False

    def feed(self, license: Any) -> bool:
        """Consider one license; True once a valid license was found (stop reading)."""
        self._seen += 1
        if not self._matches(license):
            return False
        status, reason = _judge(license, self.now)
        if self._best is None or _RANK[status] < _RANK[self._best[0]]:
            self._best = (status, reason, license)
        return status is LicenseStatus.VALID

    def result(self) -> LicenseCheck:
        if self._best is None:
            status, reason, license = (
                LicenseStatus.NO_LICENSE,
                f"member {self.member_id} holds no license for resource {self.resource_id}",
                None,
            )
        else:
            status, reason, license = self._best
        return LicenseCheck(
            valid=status is LicenseStatus.VALID,
            status=status,
            reason=reason,
            resource_id=self.resource_id,
            member_id=self.member_id,
            license=license,
            checked_at=self.now,
            licenses_seen=self._seen,
        )


def check_licenses(
    licenses: Iterable[object], resource_id: int, member_id: int, *, now: float | None = None
) -> LicenseCheck:
    """Decide from an iterable of License models (or anything with the same attributes)."""
    scan = LicenseScan(resource_id, member_id, now)
    for license in licenses:
        if scan.feed(license):
            break
    return scan.result()
