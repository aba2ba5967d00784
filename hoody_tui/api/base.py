"""Shared building blocks of the API models: the tolerant base class and field helpers.

Every model keeps fields it does not know (``extra="allow"``), accepts either the
documented key or the Python attribute name, and makes everything optional except
identity keys. Enumerations are plain ``str`` so an unknown value is kept, not rejected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, Strict

__all__ = ["ApiModel", "EpochMs", "parse_epoch_ms", "field", "ModelRef", "TimeSpan"]

# Epoch values below this are seconds, not milliseconds (1e11 ms is March 1973).
_SECONDS_BELOW = 1e11


def parse_epoch_ms(value: Any) -> int | None:
    """Read a timestamp in any documented form and return epoch milliseconds.

    Accepts epoch ms (the documented form), epoch seconds (a number below 1e11),
    numeric strings and ISO-8601 strings. Anything unreadable becomes ``None``: a
    bad timestamp must not make a whole session or job unreadable (contract C9).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
            except ValueError:
                return None
    else:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if abs(number) < _SECONDS_BELOW:
        number *= 1000
    return int(number)


_PLAIN_EPOCH_MS = Annotated[int, Strict(), Field(ge=int(_SECONDS_BELOW), le=2**53)]
"""An int that :func:`parse_epoch_ms` returns as it is (from 1e11 on, and exact as a float)."""

EpochMs = Annotated[
    _PLAIN_EPOCH_MS | Annotated[int | None, BeforeValidator(parse_epoch_ms)] | None,
    Field(union_mode="left_to_right"),
]
"""A timestamp in epoch milliseconds, read tolerantly (see :func:`parse_epoch_ms`).

The same values as ``Annotated[int | None, BeforeValidator(parse_epoch_ms)]``, but the
common ones (``null``, an int of epoch ms) are read by pydantic itself, without calling
Python: that call was a quarter of the cost of reading a ``time`` object, on every event
that carries one (tests/unit/test_intake_equivalence.py holds the two readings equal)."""


def field(
    *names: str, default: Any = None, default_factory: Any = None, required: bool = False
) -> Any:
    """A field read from any of ``names`` (first = the documented key, used when dumping).

    Optional (default ``None``) unless ``required`` or another default is given.
    """
    kwargs: dict[str, Any] = {
        "validation_alias": AliasChoices(*names),
        "serialization_alias": names[0],
    }
    if required:
        return Field(..., **kwargs)
    if default_factory is not None:
        return Field(default_factory=default_factory, **kwargs)
    return Field(default, **kwargs)


class ApiModel(BaseModel):
    """Base of every model read from or sent to the server."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        arbitrary_types_allowed=False,
        coerce_numbers_to_str=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The documented JSON form: documented keys, ``None`` values left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ModelRef(ApiModel):
    """A provider/model pair, ``{"providerID", "modelID"}``."""

    provider_id: str | None = field("providerID", "providerId", "provider_id", "provider")
    model_id: str | None = field("modelID", "modelId", "model_id", "model", "id")

    def label(self) -> str:
        if self.provider_id and self.model_id:
            return f"{self.provider_id}/{self.model_id}"
        return self.model_id or self.provider_id or ""


class TimeSpan(ApiModel):
    """The ``time`` object of sessions, messages, parts and jobs (all keys optional)."""

    created: EpochMs = None
    updated: EpochMs = None
    started: EpochMs = None
    completed: EpochMs = None
    start: EpochMs = None
    end: EpochMs = None
