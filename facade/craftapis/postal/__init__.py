"""The Postal mail server's HTTP API (v1, a moonrope deployment): `Postal` and `AsyncPostal`, webhook
verification and parsing, and Postal's error codes as classes."""

from typing import TYPE_CHECKING

from ._client import API_KEY_HEADER
from ._errors import (
    AttachmentMissingDataError,
    AttachmentMissingNameError,
    FromAddressMissingError,
    InvalidServerAPIKeyError,
    MessageNotFoundError,
    NoContentError,
    NoRecipientsError,
    PostalAccessDeniedError,
    ServerSuspendedError,
    TooManyBCCAddressesError,
    TooManyCCAddressesError,
    TooManyToAddressesError,
    UnauthenticatedFromAddressError,
)
from ._messages import MAX_RECIPIENTS, Attachment, AttachmentLike
from ._webhooks import (
    SIGNATURE_HEADER,
    SIGNATURE_KID_HEADER,
    SIGNATURE_SHA256_HEADER,
    DomainDNSError,
    MessageBounced,
    MessageDelayed,
    MessageDeliveryFailed,
    MessageHeld,
    MessageLinkClicked,
    MessageLoaded,
    MessageSent,
    SendLimitApproaching,
    SendLimitExceeded,
    UnknownWebhook,
    WebhookEvent,
    load_public_key,
    parse_webhook,
    verify_webhook,
)

if TYPE_CHECKING:  # checkers see `call("tag.operation", ...)` typed per operation (a generated stub)
    from craftapis_generated.postal.calls import AsyncPostal, Postal
else:
    from ._async_client import AsyncPostal
    from ._sync_client import Postal

__all__ = [
    "API_KEY_HEADER",
    "MAX_RECIPIENTS",
    "SIGNATURE_HEADER",
    "SIGNATURE_KID_HEADER",
    "SIGNATURE_SHA256_HEADER",
    "AsyncPostal",
    "Attachment",
    "AttachmentLike",
    "AttachmentMissingDataError",
    "AttachmentMissingNameError",
    "DomainDNSError",
    "FromAddressMissingError",
    "InvalidServerAPIKeyError",
    "MessageBounced",
    "MessageDelayed",
    "MessageDeliveryFailed",
    "MessageHeld",
    "MessageLinkClicked",
    "MessageLoaded",
    "MessageNotFoundError",
    "MessageSent",
    "NoContentError",
    "NoRecipientsError",
    "Postal",
    "PostalAccessDeniedError",
    "SendLimitApproaching",
    "SendLimitExceeded",
    "ServerSuspendedError",
    "TooManyBCCAddressesError",
    "TooManyCCAddressesError",
    "TooManyToAddressesError",
    "UnauthenticatedFromAddressError",
    "UnknownWebhook",
    "WebhookEvent",
    "load_public_key",
    "parse_webhook",
    "verify_webhook",
]
