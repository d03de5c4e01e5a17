"""The license decision on its own: which license counts, and what the answer says."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from craftapis.builtbybit import LicenseStatus, check_licenses
from craftapis_generated.builtbybit_v2.models import License

NOW = 1_000_000.0
RESOURCE, MEMBER = 55, 7


def lic(**fields: Any) -> License:
    data = {"content_type": "resource", "content_id": RESOURCE, "buyer_id": MEMBER, **fields}
    return License.from_dict(data)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"permanent": True, "active": True}, LicenseStatus.VALID),
        ({"permanent": True, "active": False}, LicenseStatus.INACTIVE),
        ({"permanent": True}, LicenseStatus.INACTIVE),  # does not say it is active: not valid
        ({"permanent": False, "start_date": NOW - 10, "end_date": NOW + 10}, LicenseStatus.VALID),
        ({"permanent": False, "start_date": NOW + 10, "end_date": NOW + 20}, LicenseStatus.NOT_STARTED),
        (
            {"permanent": False, "start_date": NOW - 20, "end_date": NOW},
            LicenseStatus.EXPIRED,
        ),  # end is exclusive
        ({"permanent": False, "start_date": NOW - 20}, LicenseStatus.INACTIVE),
        ({"end_date": NOW + 5}, LicenseStatus.VALID),  # permanent not said: dates make it temporary
        ({"active": True}, LicenseStatus.VALID),  # no dates: permanent
    ],
)
def test_one_license(fields: dict[str, Any], status: LicenseStatus) -> None:
    check = check_licenses([lic(**fields)], RESOURCE, MEMBER, now=NOW)
    assert check.status is status and bool(check) is (status is LicenseStatus.VALID)
    assert check.license is not None and check.reason


def test_other_members_resources_and_addons_do_not_count() -> None:
    licenses = [
        lic(buyer_id=MEMBER + 1, permanent=True, active=True),
        lic(content_id=RESOURCE + 1, permanent=True, active=True),
        lic(content_type="addon", permanent=True, active=True),
    ]
    check = check_licenses(licenses, RESOURCE, MEMBER, now=NOW)
    assert check.status is LicenseStatus.NO_LICENSE and check.license is None
    assert check.licenses_seen == 3 and "holds no license" in check.reason


def test_best_status_wins_and_scan_stops_at_the_first_valid() -> None:
    read: list[int] = []

    def stream() -> Any:
        for n, fields in enumerate(
            [
                {"permanent": True, "active": False},
                {"permanent": False, "start_date": NOW - 9, "end_date": NOW - 1},
                {"permanent": False, "start_date": NOW - 9, "end_date": NOW + 9},
                {"permanent": True, "active": True},
            ]
        ):
            read.append(n)
            yield lic(**fields)

    check = check_licenses(stream(), RESOURCE, MEMBER, now=NOW)
    assert check.valid and read == [0, 1, 2] and check.licenses_seen == 3
    not_valid = check_licenses(
        [lic(permanent=True, active=False), lic(permanent=False, start_date=NOW - 9, end_date=NOW - 1)],
        RESOURCE,
        MEMBER,
        now=NOW,
    )
    assert not_valid.status is LicenseStatus.EXPIRED  # more hopeful than an inactive one


def test_string_ids_and_plain_objects() -> None:
    plain = SimpleNamespace(
        content_type=None, content_id=str(RESOURCE), buyer_id=str(MEMBER), permanent=True, active=True
    )
    assert check_licenses([plain], RESOURCE, MEMBER, now=NOW).valid
