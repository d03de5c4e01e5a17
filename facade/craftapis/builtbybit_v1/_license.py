"""License validation, the second job a plugin ships a Shared token for.

`validate_license()` turns BuiltByBit's answer into a `LicenseCheck`: valid or not, why, and the
license when there is one. Only a missing license (404 / a `NotFound` error code) is an answer
("no license"); bad tokens, rate limits and network failures still raise, because "the check could
not run" must not look like "this buyer has no license".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v1.models.license_ import License

__all__ = ["LicenseCheck", "evaluate_license", "missing_license"]


@dataclass(frozen=True)
class LicenseCheck:
    """The outcome of `validate_license()`. True in a boolean context exactly when `valid`.

    Attributes:
        valid: whether the member holds a license that is active and not expired.
        reason: a sentence saying why (for logs and support).
        license: the license BuiltByBit returned, if any (also when it is inactive or expired).
        resource_id, member_id: what was checked.
    """

    valid: bool
    reason: str
    resource_id: int
    member_id: int
    license: License | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.valid


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def evaluate_license(
    license: Any, resource_id: int, member_id: int, *, now: float | None = None
) -> LicenseCheck:
    """Judge a license: invalid when `active` is false, or when it is temporary and `end_date` passed.

    A missing `active` field counts as active (the server returned the license); `end_date` 0 or null
    means no end (BuiltByBit uses both for permanent licenses).
    """
    if license is None:
        return missing_license(resource_id, member_id, "BuiltByBit returned no license data")
    if getattr(license, "active", None) is False:
        return LicenseCheck(False, "the license is inactive", resource_id, member_id, license)
    end = _int(getattr(license, "end_date", None))
    if getattr(license, "permanent", None) is not True and end:
        current = time.time() if now is None else now
        if end <= current:
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(end))
            return LicenseCheck(False, f"the license expired at {when}", resource_id, member_id, license)
    return LicenseCheck(True, "the license is active", resource_id, member_id, license)


def missing_license(resource_id: int, member_id: int, detail: str) -> LicenseCheck:
    return LicenseCheck(
        False,
        f"member {member_id} holds no license for resource {resource_id} ({detail})",
        resource_id,
        member_id,
    )
