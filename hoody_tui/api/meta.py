"""Workspace metadata: health, paths, agents, VCS, skills, commands, LSP, providers."""

from __future__ import annotations

from typing import Any

from .base import ApiModel, ModelRef, field
from .permissions import PermissionRule

__all__ = [
    "Health",
    "PathInfo",
    "AgentInfo",
    "VcsInfo",
    "Skill",
    "Command",
    "FormatterStatus",
    "LspStatus",
    "ProviderInfo",
    "Providers",
]


class Health(ApiModel):
    """Any 2xx body of the health route; ``{"status":"ok"}`` from the reference server."""

    status: str | None = None


class PathInfo(ApiModel):
    home: str | None = None
    state: str | None = None
    config: str | None = None
    worktree: str | None = None
    directory: str | None = None


class AgentInfo(ApiModel):
    name: str
    description: str | None = None
    mode: str | None = None
    native: bool | None = None
    hidden: bool | None = None
    top_p: float | None = field("topP", "top_p")
    temperature: float | None = None
    color: str | None = None
    permission: list[PermissionRule] = field("permission", default_factory=list)
    model: ModelRef | None = None
    variant: str | None = None
    prompt: str | None = None
    options: dict[str, Any] | None = None
    steps: int | None = None


class VcsInfo(ApiModel):
    branch: str | None = None


class Skill(ApiModel):
    name: str
    description: str | None = None
    location: str | None = None
    content: str | None = None
    scope: str | None = None
    editable: bool | None = None
    enabled: bool | None = None
    builtin: bool | None = None


class Command(ApiModel):
    name: str
    description: str | None = None
    agent: str | None = None
    model: Any = None
    source: str | None = None
    template: str | None = None
    subtask: bool | None = None
    hints: Any = None


class FormatterStatus(ApiModel):
    name: str
    extensions: list[str] = field("extensions", default_factory=list)
    enabled: bool | None = None


class LspStatus(ApiModel):
    id: str | None = None
    name: str | None = None
    root: str | None = None
    status: str | None = None


class ProviderInfo(ApiModel):
    id: str
    name: str | None = None
    models: Any = None


class Providers(ApiModel):
    all: list[ProviderInfo] = field("all", default_factory=list)
    default: dict[str, str] = field("default", default_factory=dict)
    connected: list[str] = field("connected", default_factory=list)
