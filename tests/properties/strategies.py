"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["FAST", "json_values", "shaped_bodies", "text"]

#: Modest and without a deadline: each property test stays within a few seconds, on slow CI too.
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any text a str can hold on the wire (UTF-8): everything but lone surrogates.
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)

#: Arbitrary JSON values.
json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=25,
)

# Keys the error decoders look at (BuiltByBit, moonrope, Modrinth, Railcraft envelopes): bodies
# built from them reach the decoders' deeper branches, which arbitrary dicts rarely do.
_KEYS = (
    "result",
    "error",
    "data",
    "status",
    "code",
    "message",
    "msg",
    "description",
    "flags",
    "time",
    "details",
    "errors",
    "stats",
    "hits",
    "token",
    "id",
    "paginated",
    "error_description",
)
_VALUES = (
    st.sampled_from(
        [
            "error",
            "success",
            "parameter-error",
            "access-denied",
            "not-found",
            "validation-error",
            "invalid-json",
            "internal-server-error",
            "ratelimit_error",
            "0",
            "6",
            "12",
            "api_deprecated",
            "RateLimitExceededError",
            "NotFoundError",
        ]
    )
    | st.integers(min_value=-3, max_value=20)
    | json_values
)
_shaped_leaf: st.SearchStrategy[Any] = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6)

#: Dicts made of the keys the decoders read, nested a little, with plausible or arbitrary values.
shaped_bodies: st.SearchStrategy[Any] = st.recursive(
    _shaped_leaf,
    lambda children: st.dictionaries(st.sampled_from(_KEYS), children | _VALUES, max_size=6),
    max_leaves=12,
)
