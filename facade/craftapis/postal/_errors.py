"""Postal's application error codes (moonrope `status: error`), one class each.

Each is the class `MoonropeError.for_code(<code>)` returns, so these two are the same::

    except NoRecipientsError: ...
    except MoonropeError.for_code("NoRecipients"): ...

They also derive from the generic craftapis class that fits (`AuthenticationError` for a bad key, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .._errors import AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError
from ..moonrope._errors import MoonropeError, define_error_code

__all__ = [
    "AttachmentMissingDataError",
    "AttachmentMissingNameError",
    "FromAddressMissingError",
    "InvalidServerAPIKeyError",
    "MessageNotFoundError",
    "NoContentError",
    "NoRecipientsError",
    "PostalAccessDeniedError",
    "ServerSuspendedError",
    "TooManyBCCAddressesError",
    "TooManyCCAddressesError",
    "TooManyToAddressesError",
    "UnauthenticatedFromAddressError",
]

# -- credentials (any action) -----------------------------------------------------------------------
if TYPE_CHECKING:  # what checkers see: real classes (at runtime each is made once by define_error_code)

    class PostalAccessDeniedError(MoonropeError, AuthenticationError):
        """Postal's `AccessDenied` error."""

        hint: ClassVar[str]

    class InvalidServerAPIKeyError(MoonropeError, AuthenticationError):
        """Postal's `InvalidServerAPIKey` error."""

        hint: ClassVar[str]

    class ServerSuspendedError(MoonropeError, PermissionDeniedError):
        """Postal's `ServerSuspended` error."""

        hint: ClassVar[str]

    class MessageNotFoundError(MoonropeError, NotFoundError):
        """Postal's `MessageNotFound` error."""

        hint: ClassVar[str]

    class NoRecipientsError(MoonropeError, BadRequestError):
        """Postal's `NoRecipients` error."""

        hint: ClassVar[str]

    class NoContentError(MoonropeError, BadRequestError):
        """Postal's `NoContent` error."""

        hint: ClassVar[str]

    class TooManyToAddressesError(MoonropeError, BadRequestError):
        """Postal's `TooManyToAddresses` error."""

        hint: ClassVar[str]

    class TooManyCCAddressesError(MoonropeError, BadRequestError):
        """Postal's `TooManyCCAddresses` error."""

        hint: ClassVar[str]

    class TooManyBCCAddressesError(MoonropeError, BadRequestError):
        """Postal's `TooManyBCCAddresses` error."""

        hint: ClassVar[str]

    class FromAddressMissingError(MoonropeError, BadRequestError):
        """Postal's `FromAddressMissing` error."""

        hint: ClassVar[str]

    class UnauthenticatedFromAddressError(MoonropeError, BadRequestError):
        """Postal's `UnauthenticatedFromAddress` error."""

        hint: ClassVar[str]

    class AttachmentMissingNameError(MoonropeError, BadRequestError):
        """Postal's `AttachmentMissingName` error."""

        hint: ClassVar[str]

    class AttachmentMissingDataError(MoonropeError, BadRequestError):
        """Postal's `AttachmentMissingData` error."""

        hint: ClassVar[str]

else:
    PostalAccessDeniedError = define_error_code(
        "AccessDenied",
        AuthenticationError,
        module="craftapis.postal",
        name="PostalAccessDeniedError",
        hint="no server credential was sent; pass the server's API key (X-Server-API-Key)",
    )
    InvalidServerAPIKeyError = define_error_code(
        "InvalidServerAPIKey",
        AuthenticationError,
        module="craftapis.postal",
        name="InvalidServerAPIKeyError",
        hint="the API key is unknown; copy a current key from the server's Credentials page in Postal",
    )
    ServerSuspendedError = define_error_code(
        "ServerSuspended",
        PermissionDeniedError,
        module="craftapis.postal",
        name="ServerSuspendedError",
        hint="the mail server is suspended; ask the Postal administrator",
    )

    # -- messages/* ------------------------------------------------------------------------------------
    MessageNotFoundError = define_error_code(
        "MessageNotFound",
        NotFoundError,
        module="craftapis.postal",
        name="MessageNotFoundError",
        hint="no message with this id on this server; use an id from send_message's result",
    )

    # -- send/* -----------------------------------------------------------------------------------------
    NoRecipientsError = define_error_code(
        "NoRecipients",
        BadRequestError,
        module="craftapis.postal",
        name="NoRecipientsError",
        hint="give at least one of to, cc or bcc",
    )
    NoContentError = define_error_code(
        "NoContent",
        BadRequestError,
        module="craftapis.postal",
        name="NoContentError",
        hint="give plain_body or html_body",
    )
    TooManyToAddressesError = define_error_code(
        "TooManyToAddresses",
        BadRequestError,
        module="craftapis.postal",
        name="TooManyToAddressesError",
        hint="at most 50 addresses in to",
    )
    TooManyCCAddressesError = define_error_code(
        "TooManyCCAddresses",
        BadRequestError,
        module="craftapis.postal",
        name="TooManyCCAddressesError",
        hint="at most 50 addresses in cc",
    )
    TooManyBCCAddressesError = define_error_code(
        "TooManyBCCAddresses",
        BadRequestError,
        module="craftapis.postal",
        name="TooManyBCCAddressesError",
        hint="at most 50 addresses in bcc",
    )
    FromAddressMissingError = define_error_code(
        "FromAddressMissing",
        BadRequestError,
        module="craftapis.postal",
        name="FromAddressMissingError",
        hint="give from_",
    )
    UnauthenticatedFromAddressError = define_error_code(
        "UnauthenticatedFromAddress",
        BadRequestError,
        module="craftapis.postal",
        name="UnauthenticatedFromAddressError",
        hint="the From domain is not verified for this server; add and verify the domain in Postal, or send from one",
    )
    AttachmentMissingNameError = define_error_code(
        "AttachmentMissingName",
        BadRequestError,
        module="craftapis.postal",
        name="AttachmentMissingNameError",
        hint="every attachment needs a name",
    )
    AttachmentMissingDataError = define_error_code(
        "AttachmentMissingData",
        BadRequestError,
        module="craftapis.postal",
        name="AttachmentMissingDataError",
        hint="every attachment needs data",
    )
