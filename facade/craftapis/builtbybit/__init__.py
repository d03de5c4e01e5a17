"""BuiltByBit API v2: `BuiltByBit` / `AsyncBuiltByBit` clients, OAuth2, API events and signed responses.

from craftapis.builtbybit import BuiltByBit

with BuiltByBit(token="your-api-token") as bbb:
    for purchase in bbb.purchases(resource_ids=[1234], with_=["Buyer"], limit=50):
        print(purchase.purchase_id, purchase.buyer.username)
    if bbb.check_license(1234, member_id=42):
        ...
"""

from typing import TYPE_CHECKING

from ._async_events import AsyncEventsConsumer
from ._async_oauth2 import AsyncOAuth2
from ._auth import TokenAuth
from ._client import MAX_PER_PAGE
from ._events import ConsumerStats, IdleBackoff
from ._leases import EventLeases, RedisEventLeases
from ._licenses import LicenseCheck, LicenseStatus, check_licenses
from ._oauth2 import AUTHORIZE_URL, DeploymentCredentials, OAuth2Session, OAuth2Tokens
from ._profile import BASE_URL, ERROR_CODES, error_class_for_code
from ._signed import BUILTBYBIT_JWT_PUBLIC_KEY, ResponseVerifier
from ._sync_events import EventsConsumer
from ._sync_oauth2 import OAuth2

if TYPE_CHECKING:  # checkers see `call("tag.operation", ...)` typed per operation (a generated stub)
    from craftapis_generated.builtbybit_v2.calls import AsyncBuiltByBit, BuiltByBit
else:
    from ._async_client import AsyncBuiltByBit
    from ._sync_client import BuiltByBit

__all__ = [
    "AUTHORIZE_URL",
    "BASE_URL",
    "BUILTBYBIT_JWT_PUBLIC_KEY",
    "ERROR_CODES",
    "MAX_PER_PAGE",
    "AsyncBuiltByBit",
    "AsyncEventsConsumer",
    "AsyncOAuth2",
    "BuiltByBit",
    "ConsumerStats",
    "DeploymentCredentials",
    "EventLeases",
    "EventsConsumer",
    "IdleBackoff",
    "LicenseCheck",
    "LicenseStatus",
    "OAuth2",
    "OAuth2Session",
    "OAuth2Tokens",
    "RedisEventLeases",
    "ResponseVerifier",
    "TokenAuth",
    "check_licenses",
    "error_class_for_code",
]
