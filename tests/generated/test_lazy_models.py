"""Models parsed from a response build their nested models on first access (issue 12, J2), and lose nothing.

What a response parser gets from `Model._from_response(body)` (the generated `_parse_response` calls it
for every top-level model of a response) must be indistinguishable from `Model.from_dict(body)` in every
way a user can observe: the same fields with the same values and types, `==`, `repr()`, `to_dict()`,
`attrs.asdict`/`evolve`, pickling and copying, unknown enum values and extra fields kept raw, dates
timezone-aware. Only *when* a nested model is built differs. A missing required field, at any depth, still
fails the parse (`_require` checks the nested bodies without building them); a deferred value that cannot
be read (a date that is no date, an enum value that is a list) fails on the first read of its field with
a `craftapis.ResponseParseError` (an `APIError`) naming model and field and holding the raw value on
`.body`, where `from_dict` (still fully eager) fails at once. Deferred are the fields holding models, the
dates and `additional_properties`. Unions of models (the Postal and
BuiltByBit envelopes) still pick the right candidate: a nested misfit rejects a candidate at once.
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
from typing import Any

import attrs
import httpx
import pytest
from craftapis import APIError, ResponseParseError
from craftapis_generated.modrinth.models import FileType, Project, SearchResults, Version, VersionFile
from craftapis_generated.modrinth.types import UNSET, LazyModel, build_all

from .test_modrinth_parsing import MODRINTH, _project, _recorded_files, _version, _version_file, parser_for

UA = "craftapis-tests/1.0 (tests@example.invalid)"


def _built(model: object, name: str) -> bool:
    """Whether the slot of field `name` holds a value yet (read without triggering the lazy build)."""
    owner = next(c for c in type(model).__mro__ if name in c.__dict__)
    try:
        owner.__dict__[name].__get__(model, type(model))
    except AttributeError:
        return False
    return True


def _lazy(cls: Any, body: Any) -> Any:
    return cls._from_response(copy.deepcopy(body))


def test_nested_models_are_built_on_first_access_and_only_then() -> None:
    body = _version(dependencies=[{"dependency_type": "required", "project_id": "P7dR8mSH"}])
    version = _lazy(Version, body)
    assert isinstance(version, Version) and isinstance(version, LazyModel)
    # the scalar and enum fields are there at once; the model-valued ones, the dates and
    # additional_properties are not built yet
    assert _built(version, "name") and _built(version, "version_type") and _built(version, "requested_status")
    assert not _built(version, "files") and not _built(version, "dependencies")
    assert not _built(version, "date_published") and not _built(version, "additional_properties")
    files = version.files
    assert _built(version, "files") and not _built(version, "dependencies")
    # the dates and additional_properties come with the first read of any deferred field
    assert _built(version, "date_published") and _built(version, "additional_properties")
    assert version.files is files  # built once, then a plain slot read
    assert isinstance(files[0], VersionFile) and files[0].hashes.sha1 == body["files"][0]["hashes"]["sha1"]
    # models built by a lazy field are built in full (one level of laziness)
    assert _built(files[0], "hashes")
    assert version.date_published.isoformat() == "2023-01-01T00:00:00+00:00"
    assert version.additional_properties == {}
    assert _built(version, "_craftapis_raw")  # dependencies still needs it
    assert version.dependencies is not UNSET and version.dependencies[0].project_id == "P7dR8mSH"
    # once every lazy field is built, the kept body is let go (no raw dicts beside the built models)
    assert not _built(version, "_craftapis_raw")
    assert version.to_dict() == body


def test_the_kept_body_stays_until_the_last_lazy_field_is_built() -> None:
    version = _lazy(Version, _version())
    assert _built(version, "_craftapis_raw")
    _ = version.files
    assert _built(version, "_craftapis_raw")  # dependencies still needs it
    _ = version.dependencies
    assert not _built(version, "_craftapis_raw")
    # a group field read first builds the group, and the kept body stays for the model fields
    version = _lazy(Version, _version())
    assert version.date_published.year == 2023
    assert _built(version, "additional_properties") and not _built(version, "files")
    assert _built(version, "_craftapis_raw")
    _ = version.files, version.dependencies
    assert not _built(version, "_craftapis_raw")


def test_a_group_field_that_cannot_be_read_leaves_the_others_readable() -> None:
    version = _lazy(Version, _version(date_published="yesterday", loader_fields={"x": 1}))
    assert version.files[0].filename == "my_file.jar"  # builds the group: the date fails, quietly
    assert not _built(version, "date_published") and version.additional_properties == {
        "loader_fields": {"x": 1}
    }
    assert version.dependencies == []
    for _ in range(2):  # every read of it says so, though everything else is built
        with pytest.raises(ResponseParseError, match=r"Version\.date_published"):
            _ = version.date_published
    assert _built(version, "_craftapis_raw")  # kept: the date still needs it to say what came


def test_a_model_from_a_response_equals_the_same_model_from_from_dict() -> None:
    body = _version(
        files=[_version_file(file_type="shader-pack", future_hash_kind="xyz")],
        loader_fields={"environment": "client"},
        requested_status="future_status",
    )
    eager, lazy = Version.from_dict(copy.deepcopy(body)), _lazy(Version, body)
    assert lazy == eager and eager == lazy
    assert repr(_lazy(Version, body)) == repr(eager)  # repr() on a fresh one builds what it shows
    assert _lazy(Version, body).to_dict() == body == eager.to_dict()
    assert attrs.asdict(_lazy(Version, body)) == attrs.asdict(eager)
    assert attrs.evolve(_lazy(Version, body), name="other").files == eager.files
    # unknown enum values and extra fields survive, raw value kept, also inside the lazy field
    file_type = lazy.files[0].file_type
    assert isinstance(file_type, FileType) and file_type.is_unknown and file_type.value == "shader-pack"
    assert lazy.files[0].additional_properties == {"future_hash_kind": "xyz"}
    assert lazy.additional_properties == {"loader_fields": {"environment": "client"}}
    assert lazy.date_published.utcoffset() is not None


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_pickling_and_copying_carry_the_lazy_fields(how: str) -> None:
    image = {
        "url": "u",
        "featured": True,
        "title": None,
        "description": None,
        "created": "2023-01-01T00:00:00Z",
    }
    body = _project(gallery=[{**image, "ordering": 0}])
    project = _lazy(Project, body)
    other = {
        "pickle": lambda p: pickle.loads(pickle.dumps(p)),
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
    }[how](project)
    assert other == Project.from_dict(copy.deepcopy(body))
    assert other.to_dict() == body
    assert other.gallery is not UNSET and other.gallery[0].url == "u"


def test_a_missing_required_field_still_raises_at_parse_time_at_any_depth() -> None:
    body = _version()
    del body["files"]
    with pytest.raises(KeyError, match="files"):
        Version._from_response(body)
    with pytest.raises(KeyError, match="files"):
        Version.from_dict(body)
    # inside a field left to be built later: `_require` checks the nested bodies without building them
    missing_hashes = _version(files=[{"url": "https://cdn.modrinth.com/x.jar"}])
    with pytest.raises(KeyError, match="hashes"):
        Version._from_response(copy.deepcopy(missing_hashes))
    deeper = _version(dependencies=[{"project_id": "P7dR8mSH"}])  # no dependency_type
    with pytest.raises(KeyError, match="dependency_type"):
        Version._from_response(deeper)
    # a nested value that is no JSON object at all is refused at once too
    with pytest.raises(TypeError, match="VersionFileHashes must be a JSON object, not list"):
        Version._from_response(_version(files=[_version_file(hashes=["not", "an", "object"])]))


def test_a_nested_value_that_cannot_be_read_fails_on_first_read_naming_the_field_and_keeping_it() -> None:
    bad_gallery = [
        {
            "url": "u",
            "featured": True,
            "title": None,
            "description": None,
            "created": "yesterday",
            "ordering": 0,
        }
    ]
    body = _project(gallery=bad_gallery)
    # from_dict is eager: it fails at once, as before
    with pytest.raises(ValueError):
        Project.from_dict(copy.deepcopy(body))
    project = Project._from_response(copy.deepcopy(body))
    assert project.slug == body["slug"]  # the rest of the project is readable
    with pytest.raises(ResponseParseError) as caught:
        _ = project.gallery
    error = caught.value
    assert isinstance(error, APIError)  # one class, inside craftapis' hierarchy
    assert (error.model, error.field, error.body) == ("Project", "gallery", bad_gallery)
    message = str(error)
    assert "Project.gallery" in message and "ValueError" in message and ".body" in message
    assert "report" in message  # says what to do
    assert isinstance(error.__cause__, ValueError)
    # a TypeError while building (an enum value that is a list) is one too, and hasattr() does not hide it
    odd = Version._from_response(_version(dependencies=[{"dependency_type": ["required"]}]))
    with pytest.raises(ResponseParseError, match=r"Version\.dependencies .*TypeError"):
        _ = odd.dependencies
    with pytest.raises(ResponseParseError):
        hasattr(odd, "dependencies")  # hasattr must not swallow it either
    # a top-level date is deferred too: the bad one fails its first read, the same way
    late = Version._from_response(_version(date_published="yesterday"))
    assert late.name == "Version 1.0.0"
    with pytest.raises(ResponseParseError) as caught:
        _ = late.date_published
    assert (caught.value.model, caught.value.field, caught.value.body) == (
        "Version",
        "date_published",
        "yesterday",
    )
    with pytest.raises(ResponseParseError):
        _ = late.date_published  # not stored: every read says so


def test_an_unknown_attribute_is_a_plain_attribute_error() -> None:
    version = Version._from_response(_version())
    with pytest.raises(AttributeError, match="'Version' object has no attribute 'fils'") as caught:
        _ = version.fils  # type: ignore[attr-defined]
    assert caught.value.name == "fils"
    assert not hasattr(version, "fils")
    # an eagerly built model whose lazy field was deleted: just missing, not rebuilt from nothing
    eager = Version.from_dict(_version())
    del eager.files
    assert not hasattr(eager, "files")


def test_models_keep_slots_and_no_instance_dict() -> None:
    version = Version._from_response(_version())
    assert not hasattr(version, "__dict__")
    with pytest.raises(AttributeError):
        version.not_a_field = 1  # type: ignore[attr-defined]


def test_concurrent_first_reads_all_see_equal_values() -> None:
    body = _version(files=[_version_file(), _version_file(filename="b.jar")])
    version = _lazy(Version, body)
    seen: list[Any] = []
    start = threading.Barrier(4)

    def read() -> None:
        start.wait()
        seen.append(version.files)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(files == Version.from_dict(copy.deepcopy(body)).files for files in seen)


def test_build_all_builds_every_lazy_field_and_surfaces_a_misfit() -> None:
    version = _lazy(Version, _version())
    assert build_all(version) is version
    assert _built(version, "files") and _built(version, "dependencies")
    versions = [_lazy(Version, _version()) for _ in range(3)]
    build_all(versions)
    assert all(_built(v, "files") for v in versions)
    # the error the eager code raises passes through as it is, for a union's trial to catch
    with pytest.raises(TypeError):
        build_all(Version._from_response(_version(dependencies=[{"dependency_type": ["required"]}])))
    with pytest.raises(ValueError):
        build_all(Version._from_response(_version(date_published="yesterday")))


@pytest.mark.parametrize("name", _recorded_files() or ["(no recorded responses)"])
def test_every_recorded_response_round_trips_through_the_lazy_parse(name: str) -> None:
    if not MODRINTH.is_dir():
        pytest.skip(f"no recorded Modrinth responses at {MODRINTH} (set CRAFTAPIS_REAL_RESPONSES)")
    data = json.loads((MODRINTH / name).read_text(encoding="utf-8"))
    model, eager_parse = parser_for(name)
    eager = eager_parse(copy.deepcopy(data))
    cls = {"list[Version]": Version, "list[Project]": Project}.get(model)
    if cls is not None:
        lazy: Any = [cls._from_response(item) for item in copy.deepcopy(data)]
        assert [item.to_dict() for item in lazy] == [item.to_dict() for item in eager]
    else:
        lazy = type(eager)._from_response(copy.deepcopy(data))
        assert lazy.to_dict() == eager.to_dict()
    assert lazy == eager


def test_the_client_returns_lazy_models_that_read_like_eager_ones() -> None:
    from craftapis.modrinth import Modrinth

    body = [_version(files=[_version_file(file_type="sources-jar")]), _version(id="ZZZZZZZZ", files=[])]
    hits = {"hits": [], "offset": 0, "limit": 10, "total_hits": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=hits if request.url.path.endswith("/search") else body)

    with Modrinth(user_agent=UA, transport=httpx.MockTransport(handler)) as modrinth:
        versions = modrinth.get_project_versions("sodium")
        page = modrinth.api.projects.search_projects(query="x")
    assert [type(v) for v in versions] == [Version, Version]
    assert not _built(versions[0], "files")  # nothing nested was built for the call
    assert versions == [Version.from_dict(copy.deepcopy(item)) for item in body]
    assert versions[0].files[0].file_type is FileType.SOURCES_JAR
    assert isinstance(page, SearchResults) and page.hits == []


def test_a_union_of_models_still_picks_the_candidate_whose_nested_body_fits() -> None:
    """Postal's responses are a union of envelopes tried in turn; `{"status": "success", "data": []}` has
    the keys of the error envelope too, but its nested `data` is no error object: rejected at once."""
    from craftapis.postal import Postal

    body = {"status": "success", "time": 0.1, "flags": {}, "data": []}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    with Postal(base_url="https://postal.example.invalid", api_key="key", transport=transport) as postal:
        deliveries = postal.api.messages.get_message_deliveries(body={"id": 1})
    assert deliveries == []
