"""Fields the servers always send are required (issue 9 item 5): no `Unset` to test for.

Always sent and never null: the plain type. Always sent but sometimes null: `T | None`. A field the
server may leave out keeps `| Unset` (each package's own; `craftapis.Unset` matches them all, see
unset.py). docs/typing.md lists them with their evidence.
"""

import datetime
from typing import assert_type

from craftapis_generated.builtbybit_v2.models import GetV2HealthResponse200, Result
from craftapis_generated.modrinth.models import (
    BaseVersionStatus,
    FileType,
    GalleryImage,
    ModeratorMessage,
    Project,
    ProjectDependencyList,
    ProjectDonationURL,
    ProjectLicense,
    ProjectResult,
    User,
    UserPayoutData,
    Version,
    VersionDependency,
    VersionFileHashes,
    VersionRequestedStatus,
)
from craftapis_generated.modrinth.types import Unset as ModrinthUnset
from craftapis_generated.postal.models import Delivery, Message, MessageSuccess, MoonropeFlags, SendResult
from craftapis_generated.postal.types import Unset as PostalUnset
from craftapis_generated.railcraft.models import TagReply
from craftapis_generated.railcraft.types import Unset as RailcraftUnset


def modrinth_project(project: Project) -> None:
    assert_type(project.slug, str | None)
    assert_type(project.icon_url, str | None)
    assert_type(project.color, int | None)
    assert_type(project.approved, datetime.datetime | None)
    assert_type(project.moderator_message, ModeratorMessage | None)
    assert_type(project.donation_urls, list[ProjectDonationURL] | None)
    license_ = project.license_
    assert_type(license_, ProjectLicense)
    assert_type(license_.id, str)
    assert_type(license_.url, str | None)
    image: GalleryImage = project.gallery[0]
    assert_type(image.ordering, int)
    assert_type(image.title, str | None)
    # left optional: absent from some real payloads
    assert_type(project.organization, str | None | ModrinthUnset)
    if project.slug is not None:
        assert_type(project.slug, str)


def modrinth_version(version: Version) -> None:
    assert_type(version.status, BaseVersionStatus)
    assert_type(version.requested_status, VersionRequestedStatus | None)
    assert_type(version.dependencies, list[VersionDependency])
    assert_type(version.changelog_url, str | None)
    assert_type(version.files[0].file_type, FileType | None)
    # left optional: the server skips changelog when None, a file's id likewise, hashes is a map
    assert_type(version.changelog, str | None | ModrinthUnset)
    assert_type(version.files[0].id, str | None | ModrinthUnset)
    hashes: VersionFileHashes = version.files[0].hashes
    assert_type(hashes.sha512, str | ModrinthUnset)


def modrinth_others(user: User, hit: ProjectResult, deps: ProjectDependencyList) -> None:
    assert_type(user.bio, str | None)
    assert_type(user.badges, int)
    assert_type(user.payout_data, UserPayoutData | None)
    assert_type(user.name, str | None | ModrinthUnset)  # the v3 User inside team members has none
    assert_type(hit.slug, str | None)
    assert_type(hit.featured_gallery, str | None)
    assert_type(deps.projects, list[Project])
    assert_type(deps.versions, list[Version])


def envelopes(health: GetV2HealthResponse200, message: MessageSuccess, tag: TagReply) -> None:
    assert_type(health.result, Result | None)
    assert_type(message.time, float | None)
    assert_type(message.flags, MoonropeFlags | None)
    assert_type(message.data, Message)
    assert_type(tag.msg, str)
    assert_type(tag.major, str | RailcraftUnset)  # an error reply carries only result and msg


def postal_results(sent: SendResult, message: Message, delivery: Delivery) -> None:
    assert_type(sent.message_id, str | None)  # null from send/raw without recipients
    assert_type(sent.messages.additional_properties["ann@example.org"].token, str)
    assert_type(message.id, int)
    assert_type(message.plain_body, str | None | PostalUnset)  # an expansion: only when asked for
    assert_type(delivery.timestamp, float)
    assert_type(delivery.output, str | None)


def mistakes(project: Project, version: Version) -> None:
    # a required but nullable field still has to be narrowed from None
    project.slug.upper()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    # a required field is its plain type: no Unset to narrow away before using it as one
    status: str = version.status
    print(status)
    # ...while a field left optional still must be narrowed
    changelog: str | None = version.changelog  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(changelog)
    # building a model by hand: a required field has no default
    ProjectLicense(id="MIT", name="MIT License")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
