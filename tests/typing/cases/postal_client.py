"""Postal (moonrope): friendly methods, two generated operations, errors."""

from typing import assert_type

import craftapis
from craftapis.moonrope import MoonropeError
from craftapis.postal import AsyncPostal, InvalidServerAPIKeyError, NoRecipientsError, Postal
from craftapis_generated.postal.models import Delivery, Message, SendMessageRequest, SendResult
from craftapis_generated.postal.operations import AsyncPostalOperations, PostalOperations


def sync_client(key: str) -> None:
    with Postal(base_url="https://postal.example.com", api_key=key) as postal:
        assert_type(postal.api, PostalOperations)
        sent = postal.send_message(
            to=["a@example.org"], from_="me@example.com", subject="Hi", plain_body="Hello"
        )
        assert_type(sent, SendResult)
        assert_type(postal.get_message(1), Message)
        assert_type(postal.get_deliveries(1), list[Delivery])
        request = SendMessageRequest(to=["a@example.org"], from_="me@example.com", plain_body="x")
        assert_type(postal.api.send.send_message(body=request), SendResult)
        assert_type(
            postal.api.send.send_message(body={"to": ["a@example.org"], "from": "me@example.com"}),
            SendResult,
        )
        try:
            postal.send_message(from_="me@example.com", plain_body="x")
        except NoRecipientsError as error:  # a real class to checkers: annotate with it, narrow to it
            assert_type(error, NoRecipientsError)
            assert_type(error.code, str | None)
        except InvalidServerAPIKeyError as error:
            authentication: craftapis.AuthenticationError = error  # also the generic craftapis class
            print(authentication)
        except MoonropeError as error:
            assert_type(error.code, str | None)


async def async_client(key: str) -> None:
    async with AsyncPostal(base_url="https://postal.example.com", api_key=key) as postal:
        assert_type(postal.api, AsyncPostalOperations)
        assert_type(await postal.get_message(1), Message)
        assert_type(await postal.api.messages.get_message_deliveries(body={"id": 1}), list[Delivery] | None)
