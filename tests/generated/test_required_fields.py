"""Fields the servers always send are required; fields they may leave out stay `Unset` (issue 9 item 5).

The patches (`specs/patches/*.overlay.yaml`, section "Fields the server always sends") and the authored
specs (`x-source` beside `required`) make a field required only on evidence: every recorded real payload
carries it and the server (or the API's own documentation) always writes it. This file proves, per API:

* each such field is required in its generated model: no default, so `from_dict` demands it and the
  attribute is never `Unset`; a field that is always sent but may be null is required *and* nullable;
* each field left optional on purpose still is, and a body without it parses (the reason is in the
  test's comment);
* a server answer lacking a required field is a `ResponseParseError` naming the field and its model,
  never a bare KeyError, through every client.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
from craftapis import ResponseParseError, Unset
from craftapis_generated.builtbybit_v2 import models as bbb
from craftapis_generated.modrinth import models as mr
from craftapis_generated.postal import models as postal
from craftapis_generated.railcraft import models as railcraft

from .test_modrinth_parsing import _project, _user, _version, _version_file

# (model, fields the evidence makes required)
REQUIRED: list[tuple[type[Any], tuple[str, ...]]] = [
    (
        mr.Project,
        (
            "slug",
            "body_url",
            "approved",
            "queued",
            "requested_status",
            "moderator_message",
            "icon_url",
            "issues_url",
            "source_url",
            "wiki_url",
            "discord_url",
            "donation_urls",
            "color",
        ),
    ),
    (mr.Version, ("changelog_url", "dependencies", "requested_status", "status")),
    (mr.VersionFile, ("file_type",)),
    (
        mr.User,
        (
            "bio",
            "badges",
            "auth_providers",
            "email",
            "email_verified",
            "has_password",
            "has_totp",
            "payout_data",
            "github_id",
        ),
    ),
    (mr.GalleryImage, ("title", "description", "ordering")),
    (mr.ProjectLicense, ("id", "name", "url")),
    (mr.ProjectDonationURL, ("id", "platform", "url")),
    (mr.ProjectDependencyList, ("projects", "versions")),
    (mr.ProjectResult, ("slug", "color", "featured_gallery")),
    (bbb.GetV2HealthResponse200, ("result",)),
    (bbb.GetV2ResourcesCreatorResourcesResponse200, ("result",)),
    (bbb.GetV2EventsResponse200, ("result",)),
    (bbb.ErrorEnvelope, ("result", "error")),
    (postal.MoonropeEnvelope, ("status", "time", "flags", "data")),
    (postal.SendMessageSuccess, ("status", "time", "flags", "data")),
    (postal.MessageSuccess, ("status", "time", "flags", "data")),
    (postal.DeliveriesSuccess, ("status", "time", "flags", "data")),
    (postal.MoonropeErrorEnvelope, ("status", "time", "flags", "data")),
    (postal.SendResult, ("message_id", "messages")),
    (postal.SentMessageRef, ("id", "token")),
    (postal.Message, ("id", "token")),
    (postal.Delivery, ("id", "status", "details", "output", "sent_with_ssl", "log_id", "time", "timestamp")),
    (postal.WebhookEnvelope, ("event", "timestamp", "payload", "uuid")),
    (railcraft.Reply, ("result", "msg")),
    (railcraft.TokenReply, ("result", "msg")),
]

# (model, field, why it stays optional)
OPTIONAL: list[tuple[type[Any], str, str]] = [
    (mr.Project, "organization", "absent from 4 of 6 recorded projects"),
    (mr.Project, "raw_icon_url", "absent from every recorded project"),
    (mr.Project, "environment", "absent from every recorded project"),
    (mr.Version, "changelog", "the server skips it when None (include_changelog=false)"),
    (mr.Version, "environment", "absent from every recorded version"),
    (mr.VersionFile, "id", "the server skips it when None; 10 of 910 recorded files lack it"),
    (mr.VersionFileHashes, "sha512", "hashes is a map from algorithm to hash, not a fixed pair"),
    (mr.VersionDependency, "version_id", "shared with the createVersion body, where it may be left out"),
    (mr.User, "name", "the v3 User inside team members and threads has no name"),
    (mr.GalleryImage, "raw_url", "absent from every recorded gallery image"),
    (mr.ProjectResult, "author_id", "absent from every recorded search hit"),
    (mr.ProjectResult, "organization", "absent from every recorded search hit"),
    (bbb.GetV2HealthResponse200, "data", "seed 001 says only `result` is always there"),
    (postal.Message, "status", "an expansion: sent only when _expansions asks for it"),
    (postal.Message, "plain_body", "an expansion: sent only when _expansions asks for it"),
    (railcraft.TokenReply, "token", "an error reply carries only result and msg"),
]


def _field(model: type[Any], name: str) -> Any:
    fields = {f.name: f for f in attrs.fields(model)}
    assert name in fields, f"{model.__name__} has no field {name!r}"
    return fields[name]


@pytest.mark.parametrize(
    ("model", "name"),
    [(model, name) for model, names in REQUIRED for name in names],
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_an_always_sent_field_is_required(model: type[Any], name: str) -> None:
    field = _field(model, name)
    assert field.default is attrs.NOTHING, f"{model.__name__}.{name} still defaults to {field.default!r}"
    assert "Unset" not in str(field.type), f"{model.__name__}.{name} is typed {field.type}"


@pytest.mark.parametrize(
    ("model", "name", "why"), OPTIONAL, ids=[f"{m.__name__}.{n}" for m, n, _ in OPTIONAL]
)
def test_a_field_a_server_may_leave_out_stays_optional(model: type[Any], name: str, why: str) -> None:
    field = _field(model, name)
    assert isinstance(field.default, Unset), f"{model.__name__}.{name} must stay optional: {why}"
    assert "Unset" in str(field.type)


def test_required_and_nullable_is_none_not_unset() -> None:
    """Always sent, sometimes null: `project.slug` is `str | None`, and null stays None."""
    project = mr.Project.from_dict(_project(slug=None, icon_url=None, color=None, approved=None))
    assert project.slug is None and project.icon_url is None and project.color is None
    assert project.approved is None
    assert project.to_dict()["slug"] is None  # written back, not dropped as an absent field would be


def test_bodies_without_the_optional_fields_parse() -> None:
    version_body = _version(files=[_version_file()])
    del version_body["changelog"]  # getProjectVersions(include_changelog=false)
    version = mr.Version.from_dict(version_body)
    assert isinstance(version.changelog, Unset) and "changelog" not in version.to_dict()
    assert isinstance(version.files[0].id, Unset)

    member_user = _user()
    del member_user["name"]  # a team member's user is the v3 User: no name
    member = mr.TeamMember.from_dict(
        {"team_id": "MMNNOOPP", "user": member_user, "role": "Owner", "accepted": True, "ordering": 0}
    )
    assert member.user.username == "my_user" and isinstance(member.user.name, Unset)

    sha1_only = mr.VersionFileHashes.from_dict({"sha1": "c84dd4b3580c02b79958a0590afd5783d80ef504"})
    assert isinstance(sha1_only.sha512, Unset)


@pytest.mark.parametrize(
    ("model", "body", "missing"),
    [
        (mr.Project, _project(), "slug"),
        (mr.Version, _version(), "dependencies"),
        (mr.User, _user(), "badges"),
        (railcraft.TokenReply, {"result": 0, "msg": "", "token": "t"}, "msg"),
        (postal.MoonropeEnvelope, {"status": "success", "time": None, "flags": {}, "data": None}, "flags"),
        (
            postal.Delivery,
            {
                "id": 1,
                "status": "Sent",
                "details": None,
                "output": None,
                "sent_with_ssl": None,
                "log_id": None,
                "time": None,
                "timestamp": 1700000100.5,
            },
            "log_id",
        ),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else (v if isinstance(v, str) else ""),
)
def test_from_dict_demands_a_required_field(model: type[Any], body: dict[str, Any], missing: str) -> None:
    model.from_dict(copy.deepcopy(body))  # complete: parses
    del body[missing]
    with pytest.raises(KeyError, match=missing):
        model.from_dict(body)


# --- through the clients: a clear ResponseParseError, not a KeyError --------------------------------


def _json(body: Any) -> Callable[[httpx.Request], httpx.Response]:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/"):  # Railcraft's token
            return httpx.Response(200, json={"result": 0, "msg": "", "token": "t"})
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )

    return app


def _no_retry() -> Any:
    import craftapis

    return craftapis.RetryPolicy(max_attempts=1)


def _modrinth_project(transport: httpx.MockTransport) -> Any:
    from craftapis.modrinth import Modrinth

    with Modrinth(
        user_agent="craftapis-tests/1.0 (tests@example.com)", transport=transport, retry=_no_retry()
    ) as c:
        return c.get_project("my_project")


def _modrinth_versions(transport: httpx.MockTransport) -> Any:
    from craftapis.modrinth import Modrinth

    with Modrinth(
        user_agent="craftapis-tests/1.0 (tests@example.com)", transport=transport, retry=_no_retry()
    ) as c:
        return c.get_project_versions("my_project")


def _builtbybit_health(transport: httpx.MockTransport) -> Any:
    from craftapis.builtbybit import BuiltByBit

    with BuiltByBit(token="test-token", transport=transport, retry=_no_retry()) as c:
        return c.api.health.get_v2_health()


def _postal_message(transport: httpx.MockTransport) -> Any:
    from craftapis.postal import Postal

    with Postal(
        base_url="https://postal.example.com", api_key="k", transport=transport, retry=_no_retry()
    ) as c:
        return c.get_message(1)


def _railcraft_tag(transport: httpx.MockTransport) -> Any:
    from craftapis.railcraft import RailcraftPack

    with RailcraftPack(client_id="id", client_secret="secret", transport=transport, retry=_no_retry()) as c:
        return c.current_tag()


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    del body[key]
    return body


CLIENT_CASES: list[tuple[str, Callable[[httpx.MockTransport], Any], Any, str, str]] = [
    ("modrinth-project", _modrinth_project, _without(_project(), "slug"), "slug", "Project"),
    (
        "modrinth-version-file",
        _modrinth_versions,
        [_version(files=[_without(_version_file(), "file_type")])],
        "file_type",
        "VersionFile",
    ),
    ("builtbybit-envelope", _builtbybit_health, {"data": "ok"}, "result", "GetV2HealthResponse200"),
    (
        "postal-envelope",
        _postal_message,
        {"status": "success", "time": 0.1, "data": {"id": 1}},
        "flags",
        "MessageSuccess",
    ),
    ("railcraft-reply", _railcraft_tag, {"result": 0, "major": "1", "minor": "2"}, "msg", "TagReply"),
]


@pytest.mark.parametrize(
    ("call", "body", "field", "model"),
    [case[1:] for case in CLIENT_CASES],
    ids=[case[0] for case in CLIENT_CASES],
)
def test_a_missing_required_field_is_a_response_parse_error_naming_it(
    call: Callable[[httpx.MockTransport], Any], body: Any, field: str, model: str
) -> None:
    with pytest.raises(ResponseParseError) as caught:
        call(httpx.MockTransport(_json(body)))
    message = str(caught.value)
    assert f"the field '{field}' of {model}, which the spec makes required, is missing" in message
    assert "raw body is on .body" in message
    assert caught.value.body is not None
    assert not isinstance(caught.value.__cause__, ResponseParseError)
    assert isinstance(caught.value.__cause__, KeyError)
