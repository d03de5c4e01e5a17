"""The generated Modrinth models parse what api.modrinth.com really sends.

Two halves:

* every recorded body in ``../shared/real-responses/modrinth/`` (or ``$CRAFTAPIS_REAL_RESPONSES/modrinth``)
  parses into its generated model and ``to_dict()`` gives the body back unchanged;
* synthetic bodies prove what ``specs/patches/modrinth.overlay.yaml`` promises: unknown enum values are
  kept raw, nulls the published spec forbids are accepted, and unknown fields are kept.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from craftapis_generated.modrinth.models import (
    CreatableReportItemType,
    FileType,
    ModeratorMessage,
    Notification,
    NotificationType,
    Project,
    ProjectDependencyList,
    ProjectRequestedStatus,
    Report,
    SearchResults,
    TeamMember,
    ThreadMessageBody,
    User,
    UserPayoutData,
    Version,
)
from craftapis_generated.modrinth.types import UNSET

ROOT = Path(__file__).resolve().parents[2]
REAL_RESPONSES = Path(os.environ.get("CRAFTAPIS_REAL_RESPONSES") or ROOT.parent / "shared" / "real-responses")
MODRINTH = REAL_RESPONSES / "modrinth"


def _recorded_files() -> list[str]:
    return sorted(p.name for p in MODRINTH.glob("*.json")) if MODRINTH.is_dir() else []


@pytest.fixture(scope="module")
def modrinth_dir() -> Path:
    if not MODRINTH.is_dir():
        message = (
            f"no recorded Modrinth responses at {MODRINTH} (set CRAFTAPIS_REAL_RESPONSES to the "
            f"real-responses folder of ../shared)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return MODRINTH


# --- which model a recorded body is ------------------------------------------------------------

Parser = Callable[[Any], Any]


def _list_of(model: Any) -> Parser:
    def parse(data: Any) -> list[Any]:
        assert isinstance(data, list)
        return [model.from_dict(item) for item in data]

    return parse


def parser_for(name: str) -> tuple[str, Parser]:
    """The generated model of a recorded body, chosen by its file name."""
    stem = name.removesuffix(".json")
    if "dependencies" in stem:
        return "ProjectDependencyList", ProjectDependencyList.from_dict
    if "search" in stem:
        return "SearchResults", SearchResults.from_dict
    if "versions" in stem:
        return "list[Version]", _list_of(Version)
    if stem.startswith("projects"):
        return "list[Project]", _list_of(Project)
    if "user" in stem:
        return "User", User.from_dict
    if "project" in stem:
        return "Project", Project.from_dict
    raise AssertionError(f"{name}: no rule says which generated model this recorded body is; add one")


def _to_dict(parsed: Any) -> Any:
    return [item.to_dict() for item in parsed] if isinstance(parsed, list) else parsed.to_dict()


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _instants(body: Any) -> Any:
    """`body` with every RFC 3339 string replaced by the instant it names: dates come back from to_dict()
    as RFC 3339 of the same instant (`.551Z` may return as `.551000Z`), not as the same characters."""
    if isinstance(body, dict):
        return {key: _instants(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_instants(item) for item in body]
    if isinstance(body, str) and _RFC3339.fullmatch(body):
        return datetime.datetime.fromisoformat(body)
    return body


# A few real values per file: proof that the right fields land in the right places.
def _check_get_project_response(p: Project) -> None:
    assert (p.id, p.slug, p.title) == ("mOgUt4GM", "modmenu", "Mod Menu")
    assert p.project_type == "mod" and not p.project_type.is_unknown
    assert p.requested_status is None  # nullable enum (patched)
    assert p.moderator_message is None  # nullable object (patched)
    assert p.license_ is not UNSET and p.license_.id == "MIT" and p.license_.url is None
    assert p.gallery is not UNSET and p.gallery[0].description is None
    assert p.downloads == 1697771


def _check_project_discordsrv(p: Project) -> None:
    assert (p.id, p.slug) == ("UmLGoGij", "discordsrv")
    assert p.organization is None  # a real field the published spec lacks (patched in)
    assert p.approved is None
    assert (p.client_side, p.server_side) == ("unsupported", "required")
    assert isinstance(p.donation_urls, list) and p.donation_urls[0].id == "github"


def _check_project_fabric_api(p: Project) -> None:
    assert (p.id, p.slug, p.team) == ("P7dR8mSH", "fabric-api", "BZoBsPo6")
    assert p.downloads == 68102105
    assert p.organization is None


def _check_projects_fabric_api_cloth_config(ps: list[Project]) -> None:
    assert [(p.id, p.slug) for p in ps] == [("P7dR8mSH", "fabric-api"), ("9s6osm5g", "cloth-config")]
    assert all(p.requested_status is None for p in ps)


def _check_project_discordsrv_versions(vs: list[Version]) -> None:
    assert len(vs) == 12
    first = vs[0]
    assert (first.id, first.project_id, first.version_number) == ("IQAVr1YC", "UmLGoGij", "1.30.4")
    assert first.version_type == "release" and first.requested_status is None
    assert first.files[0].file_type is None  # nullable enum (patched)
    assert first.files[0].id == "24nF6bJk"  # a real field the published spec lacks (patched in)
    assert first.files[0].filename == "DiscordSRV-Build-1.30.4.jar"
    assert isinstance(first.date_published, datetime.datetime)
    assert first.date_published.utcoffset() == datetime.timedelta(0)


def _check_get_user_response(u: User) -> None:
    assert (u.id, u.username) == ("Dc7EYhxG", "Prospector")
    assert u.role == "admin" and not u.role.is_unknown
    assert u.payout_data is None and u.name is None and u.auth_providers is None


def _check_get_project_dependencies_response(d: ProjectDependencyList) -> None:
    assert d.projects is not UNSET and d.projects[0].slug == "sodium"
    assert d.versions is not UNSET and len(d.versions) == 9
    assert d.versions[0].files[0].file_type is None
    assert d.versions[0].files[0].hashes.sha1  # the nested VersionFileHashes model


def _check_search_projects_response(s: SearchResults) -> None:
    assert (s.offset, s.limit, s.total_hits) == (0, 3, 13560)
    assert len(s.hits) == 3 and s.hits[0].slug == "fabric-api"
    assert s.hits[0].featured_gallery is None


CHECKS: dict[str, Callable[[Any], None]] = {
    "get_project_response.json": _check_get_project_response,
    "project-discordsrv.json": _check_project_discordsrv,
    "project-fabric-api.json": _check_project_fabric_api,
    "projects-fabric-api-cloth-config.json": _check_projects_fabric_api_cloth_config,
    "project-discordsrv-versions.json": _check_project_discordsrv_versions,
    "get_user_response.json": _check_get_user_response,
    "get_project_dependencies_response.json": _check_get_project_dependencies_response,
    "search_projects_response.json": _check_search_projects_response,
}


@pytest.mark.parametrize("name", _recorded_files() or ["(no recorded responses)"])
def test_recorded_response_parses_into_its_model(name: str, modrinth_dir: Path) -> None:
    data = json.loads((modrinth_dir / name).read_text(encoding="utf-8"))
    model, parse = parser_for(name)
    parsed = parse(copy.deepcopy(data))
    if name in CHECKS:
        CHECKS[name](parsed)
    back = _to_dict(parsed)
    # nothing the server sent is lost or changed on the way back (dates: the same instant)
    assert _instants(back) == _instants(data), f"{name} ({model}) does not round-trip through to_dict()"
    # and every UTC date comes back written with `Z`, as the server writes it
    assert json.dumps(back).count('Z"') == json.dumps(data).count('Z"')


def test_every_checked_file_is_still_recorded(modrinth_dir: Path) -> None:
    missing = sorted(set(CHECKS) - set(_recorded_files()))
    assert not missing, f"recorded responses disappeared from {modrinth_dir}: {missing}"


# --- synthetic bodies ---------------------------------------------------------------------------


def _project(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "AABBCCDD",
        "slug": "my_project",
        "project_type": "mod",
        "team": "MMNNOOPP",
        "title": "My Project",
        "description": "A short description",
        "body": "A long body",
        "published": "2023-01-01T00:00:00Z",
        "updated": "2023-01-02T00:00:00Z",
        "body_url": None,
        "status": "approved",
        "requested_status": None,
        "approved": "2023-01-01T00:00:00Z",
        "queued": None,
        "moderator_message": None,
        "license": {"id": "MIT", "name": "MIT License", "url": None},
        "client_side": "required",
        "server_side": "optional",
        "downloads": 10,
        "followers": 2,
        "categories": ["technology"],
        "additional_categories": [],
        "game_versions": ["1.20.1"],
        "loaders": ["fabric"],
        "versions": ["IIJJKKLL"],
        "icon_url": "https://cdn.modrinth.com/data/AABBCCDD/icon.png",
        "issues_url": "https://github.com/me/my_project/issues",
        "source_url": "https://github.com/me/my_project",
        "wiki_url": None,
        "discord_url": None,
        "donation_urls": [{"id": "patreon", "platform": "Patreon", "url": "https://www.patreon.com/me"}],
        "gallery": [],
        "color": 8703084,
        "thread_id": "TTUUVVWW",
        "monetization_status": "monetized",
    }
    body.update(changes)
    return body


def _version_file(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hashes": {"sha1": "c84dd4b3580c02b79958a0590afd5783d80ef504", "sha512": "93ec"},
        "url": "https://cdn.modrinth.com/data/AABBCCDD/versions/IIJJKKLL/my_file.jar",
        "filename": "my_file.jar",
        "primary": True,
        "size": 1097270,
        "file_type": None,
    }
    body.update(changes)
    return body


def _version(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "IIJJKKLL",
        "project_id": "AABBCCDD",
        "author_id": "EEFFGGHH",
        "featured": False,
        "name": "Version 1.0.0",
        "version_number": "1.0.0",
        "changelog": None,
        "changelog_url": None,
        "date_published": "2023-01-01T00:00:00Z",
        "downloads": 5,
        "version_type": "release",
        "status": "listed",
        "requested_status": None,
        "files": [_version_file()],
        "dependencies": [],
        "game_versions": ["1.20.1"],
        "loaders": ["fabric"],
    }
    body.update(changes)
    return body


def _user(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "EEFFGGHH",
        "username": "my_user",
        "name": None,
        "avatar_url": "https://cdn.modrinth.com/user/EEFFGGHH/avatar.png",
        "bio": "hi",
        "created": "2020-11-06T04:56:05Z",
        "role": "developer",
        "badges": 0,
        "auth_providers": None,
        "email": None,
        "email_verified": None,
        "has_password": None,
        "has_totp": None,
        "payout_data": None,
        "github_id": None,
    }
    body.update(changes)
    return body


def test_unknown_enum_values_are_kept_raw() -> None:
    data = _project(project_type="minecraft_java_server", status="under_review", client_side="sometimes")
    project = Project.from_dict(copy.deepcopy(data))
    assert project.project_type.is_unknown and project.project_type.value == "minecraft_java_server"
    assert project.status.is_unknown and project.status.value == "under_review"
    assert project.client_side.is_unknown and str(project.client_side) == "sometimes"
    assert project.to_dict() == data

    file_data = _version(files=[_version_file(file_type="shader-pack")])
    version = Version.from_dict(copy.deepcopy(file_data))
    file_type = version.files[0].file_type
    assert isinstance(file_type, FileType) and file_type.is_unknown and file_type.value == "shader-pack"
    assert version.to_dict() == file_data

    note = {
        "id": "UUVVWWXX",
        "user_id": "EEFFGGHH",
        "type": "some_type_from_2030",
        "title": "t",
        "text": "x",
        "link": "l",
        "read": False,
        "created": "2023-01-01T00:00:00Z",
        "actions": [],
    }
    notification = Notification.from_dict(copy.deepcopy(note))
    assert isinstance(notification.type_, NotificationType) and notification.type_.is_unknown
    assert notification.to_dict() == note


def test_values_the_spec_omits_are_real_members() -> None:
    """The values the overlay adds (api-facts.md §1) parse as members, not as unknowns."""
    project = Project.from_dict(_project(project_type="project", requested_status="private"))
    assert project.project_type == "project" and not project.project_type.is_unknown
    assert project.requested_status is ProjectRequestedStatus.PRIVATE

    for value in (
        "required-resource-pack",
        "optional-resource-pack",
        "sources-jar",
        "dev-jar",
        "javadoc-jar",
        "signature",
        "unknown",
    ):
        file_type = Version.from_dict(_version(files=[_version_file(file_type=value)])).files[0].file_type
        # identity with a declared member, not `is_unknown`: see the xfail test below
        assert file_type is FileType(value) and file_type in list(FileType), value

    body = ThreadMessageBody.from_dict({"type": "thread_reopen"})
    assert body.type_ == "thread_reopen" and not body.type_.is_unknown

    report = Report.from_dict(
        {
            "report_type": "spam",
            "item_id": "EEFFGGHH",
            "item_type": "unknown",
            "body": "b",
            "id": "VVWWXXYY",
            "reporter": "UUVVWWXX",
            "created": "2023-01-01T00:00:00Z",
            "closed": False,
            "thread_id": "TTUUVVWW",
        }
    )
    assert report.item_type is CreatableReportItemType.UNKNOWN


def test_a_declared_unknown_member_is_not_an_unknown_value() -> None:
    assert FileType.UNKNOWN in list(FileType)
    assert not FileType.UNKNOWN.is_unknown


def test_nulls_the_published_spec_forbids_are_accepted() -> None:
    # a string (Project.slug), a list (Project.donation_urls) and a nested object
    # (Project.moderator_message, a bare $ref in the published spec), all patched nullable
    data = _project(slug=None, donation_urls=None, moderator_message=None, requested_status=None)
    project = Project.from_dict(copy.deepcopy(data))
    assert project.slug is None
    assert project.donation_urls is None
    assert project.moderator_message is None
    assert project.requested_status is None
    assert project.to_dict() == data

    # the same nested object, present, is still a model
    with_message = _project(moderator_message={"message": "Please fix", "body": None})
    message = Project.from_dict(copy.deepcopy(with_message)).moderator_message
    assert isinstance(message, ModeratorMessage) and message.message == "Please fix"
    assert Project.from_dict(copy.deepcopy(with_message)).to_dict() == with_message

    user_data = _user(avatar_url=None, bio=None, payout_data=None)
    user = User.from_dict(copy.deepcopy(user_data))
    assert user.avatar_url is None and user.bio is None and user.payout_data is None
    assert user.to_dict() == user_data
    payout = User.from_dict(_user(payout_data={"balance": 10.5, "payout_wallet": "paypal"})).payout_data
    assert isinstance(payout, UserPayoutData) and payout.balance == 10.5

    member_data = {
        "team_id": "MMNNOOPP",
        "user": _user(),
        "role": "Member",
        "permissions": None,
        "accepted": True,
        "payouts_split": 33.3,  # a float, not the integer the spec says
        "ordering": 0,
    }
    member = TeamMember.from_dict(copy.deepcopy(member_data))
    assert member.permissions is None and member.payouts_split == 33.3
    assert member.to_dict() == member_data


def test_unknown_fields_are_kept_in_additional_properties() -> None:
    data = _project(
        shiny_new_field={"nested": [1, 2]},
        gallery=[
            {
                "url": "https://cdn.modrinth.com/a.png",
                "raw_url": "https://cdn.modrinth.com/a_raw.png",
                "featured": True,
                "title": None,
                "description": None,
                "created": "2023-01-01T00:00:00Z",
                "ordering": 0,
                "gallery_extra": "kept",
            }
        ],
    )
    project = Project.from_dict(copy.deepcopy(data))
    assert project.additional_properties == {"shiny_new_field": {"nested": [1, 2]}}
    assert project["shiny_new_field"] == {"nested": [1, 2]}
    assert project.gallery is not UNSET
    assert project.gallery[0].raw_url == "https://cdn.modrinth.com/a_raw.png"  # patched in
    assert project.gallery[0].additional_properties == {"gallery_extra": "kept"}
    assert project.to_dict() == data

    version_data = _version(
        files=[_version_file(future_hash_kind="xyz")], loader_fields={"environment": "client"}
    )
    version = Version.from_dict(copy.deepcopy(version_data))
    assert version.additional_properties == {"loader_fields": {"environment": "client"}}
    assert version.files[0].additional_properties == {"future_hash_kind": "xyz"}
    assert version.to_dict() == version_data


# --- dates (the overlay turns Modrinth's `format: ISO-8601` into `date-time`) --------------------------


def test_every_documented_date_is_a_timezone_aware_datetime() -> None:
    project = Project.from_dict(_project(approved="2023-01-03T04:05:06.123456Z", queued=None))
    assert project.published == datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    assert project.updated.tzinfo is not None and project.updated.utcoffset() == datetime.timedelta(0)
    assert project.approved == datetime.datetime(2023, 1, 3, 4, 5, 6, 123456, tzinfo=datetime.UTC)
    assert project.queued is None  # nullable dates stay None
    back = project.to_dict()
    assert (back["published"], back["approved"]) == ("2023-01-01T00:00:00Z", "2023-01-03T04:05:06.123456Z")


def test_dates_with_an_offset_without_one_or_in_other_iso_forms_parse() -> None:
    from craftapis_generated.modrinth.types import format_datetime, parse_datetime

    plus_two = parse_datetime("2023-01-01T02:00:00+02:00")
    assert plus_two == datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    assert format_datetime(plus_two) == "2023-01-01T02:00:00+02:00"  # the offset it came with is kept
    # no offset: taken as UTC (Labrinth stores DateTime<Utc>), never a naive datetime
    assert parse_datetime("2023-01-01T00:00:00").tzinfo is datetime.UTC
    # ISO 8601 forms datetime.fromisoformat (3.11) does not read: python-dateutil's isoparse does
    assert parse_datetime("2023-01-01T00:00:00+0000") == datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    assert parse_datetime("2023-W01-1T00:00:00Z") == datetime.datetime(2023, 1, 2, tzinfo=datetime.UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-45T00:00:00Z", 1672531200, None])
def test_a_date_that_is_no_date_raises_instead_of_passing_through(bad: object) -> None:
    body = _project(published=bad)
    with pytest.raises((ValueError, TypeError)):
        Project.from_dict(body)
