"""Permission requests (gates), rules and rulesets."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from .base import ApiModel, TimeSpan, field

__all__ = [
    "PermissionRule",
    "ToolRef",
    "PermissionRequest",
    "SessionPermissions",
    "PermissionConfig",
    "PERMISSION_REPLIES",
]

PERMISSION_REPLIES = ("once", "always", "reject")


class PermissionRule(ApiModel):
    """``{"permission":"bash","pattern":"*","action":"allow|deny|ask"}``; last match wins."""

    permission: str = "*"
    pattern: str = "*"
    action: str = "ask"


class ToolRef(ApiModel):
    """The tool call a gate belongs to: ``{"messageID","callID"}``."""

    message_id: str | None = field("messageID", "messageId", "message_id")
    call_id: str | None = field("callID", "callId", "call_id")


class PermissionRequest(ApiModel):
    """A pending permission request (contract 1.2, seed 004).

    ``always`` holds the patterns an "always" reply would persist; it is shown as
    given and never derived from ``patterns`` (contract C20). The legacy opencode
    form (``type``, ``pattern``, top-level ``messageID``/``callID``) is read too.
    """

    id: str
    session_id: str | None = field("sessionID", "sessionId", "session_id")
    permission: str | None = None
    patterns: list[str] = field("patterns", default_factory=list)
    metadata: dict[str, Any] = field("metadata", default_factory=dict)
    always: list[str] = field("always", default_factory=list)
    tool: ToolRef | None = None
    title: str | None = None
    time: TimeSpan | None = None
    generation: int | None = None
    """The gate's generation, on servers whose gates have one (a reply echoes it)."""

    @model_validator(mode="before")
    @classmethod
    def _legacy_form(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "permission" not in data and isinstance(data.get("type"), str):
            data["permission"] = data["type"]
        if "patterns" not in data and "pattern" in data:
            pattern = data["pattern"]
            data["patterns"] = pattern if isinstance(pattern, list) else [pattern]
        if "tool" not in data and ("callID" in data or "messageID" in data):
            data["tool"] = {"messageID": data.get("messageID"), "callID": data.get("callID")}
        return data

    @field_validator("patterns", "always", mode="before")
    @classmethod
    def _string_list(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [item if isinstance(item, str) else str(item) for item in value]
        return []

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_dict(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @property
    def command(self) -> str | None:
        """The shell command of a bash request, when the server gave one."""
        value = self.metadata.get("command")
        return value if isinstance(value, str) else None

    @property
    def filepath(self) -> str | None:
        value = self.metadata.get("filepath") or self.metadata.get("filePath")
        return value if isinstance(value, str) else None

    @property
    def subject(self) -> str:
        """What the call acts on, in a few words: its command, file, URL or patterns."""
        url = self.metadata.get("url")
        return self.command or self.filepath or (url if isinstance(url, str) else "") or ", ".join(self.patterns)

    @property
    def created_ms(self) -> int | None:
        return self.time.created if self.time else None


class SessionPermissions(ApiModel):
    """``GET S/permissions``: the agent's ruleset, the session's, and the array evaluated.

    ``effective`` is kept exactly as returned (never re-sorted, contract C12).
    """

    agent: str | None = None
    agent_ruleset: list[PermissionRule] = field("agentRuleset", "agent_ruleset", default_factory=list)
    session_ruleset: list[PermissionRule] = field(
        "sessionRuleset", "session_ruleset", default_factory=list
    )
    effective: list[PermissionRule] = field("effective", default_factory=list)


class PermissionConfig(ApiModel):
    """``GET config/permission``: workspace overrides, a map of tool to action.

    A map value is an action (``"allow"``) or a ``{pattern: action}`` map (C18).
    """

    permission: dict[str, str | dict[str, str]] = field("permission", default_factory=dict)
    yolo: bool | None = None
    tool_wake_policy: dict[str, str] = field("tool_wake_policy", "toolWakePolicy", default_factory=dict)

    @field_validator("permission", mode="before")
    @classmethod
    def _action_or_map(cls, value: Any) -> Any:
        if isinstance(value, str):  # a single action for every tool
            return {"*": value}
        return value if isinstance(value, dict) else {}

    @field_validator("tool_wake_policy", mode="before")
    @classmethod
    def _policy_map(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

