"""Static workspace metadata: agents and their rulesets, the workspace permission config,
providers and models, skills, commands, formatters, LSP servers, paths, CLI agents.

Shapes follow seeds 003/004 (``meta/*``, ``config/permission``) and contract §1.11.
"""

from __future__ import annotations

import copy
from typing import Any

from .rules import rules_from_config

__all__ = [
    "WORKTREE",
    "HOME",
    "workspace_config",
    "agents",
    "agent_ruleset",
    "agent_names",
    "MODELS",
    "providers",
    "paths",
    "skills",
    "commands",
    "formatters",
    "lsp_servers",
    "CLI_AGENTS",
    "CLI_TIMEOUT_CEILING_MS",
    "JOB_TOOLS",
]

HOME = "/home/dev"
WORKTREE = f"{HOME}/projects/acme-web"

_CONFIG: dict[str, Any] = {
    "permission": {"read": "allow", "edit": "ask", "bash": "ask", "webfetch": "ask"},
    "yolo": False,
    "tool_wake_policy": {"webfetch": "auto", "bash": "next_turn"},
}

# Commands every coding agent may run without asking; secrets stay behind a gate.
_SAFE_BASH = [
    "git status*", "git diff*", "git log*", "git branch*", "ls*", "pwd", "cat *", "grep *",
    "npm test*", "npm run lint*", "npm run build*", "pytest*", "echo *",
]
_SECRET_RULES = [
    {"permission": "bash", "pattern": "cat ~/.ssh/*", "action": "ask"},
    {"permission": "bash", "pattern": "cat *.env*", "action": "ask"},
    {"permission": "read", "pattern": "*.env", "action": "ask"},
    {"permission": "read", "pattern": "*.env.*", "action": "ask"},
]

MODELS: list[dict[str, str]] = [
    {"providerID": "anthropic", "modelID": "claude-sonnet-4.5"},
    {"providerID": "openai", "modelID": "gpt-5"},
    {"providerID": "anthropic", "modelID": "claude-haiku-4.5"},
    {"providerID": "google", "modelID": "gemini-2.5-pro"},
]


def workspace_config() -> dict[str, Any]:
    """``GET W/config/permission``."""
    return copy.deepcopy(_CONFIG)


def _safe_bash() -> list[dict[str, str]]:
    return [{"permission": "bash", "pattern": p, "action": "allow"} for p in _SAFE_BASH]


def _agent_defs() -> list[dict[str, Any]]:
    base = rules_from_config(_CONFIG["permission"])
    return [
        {
            "name": "build", "description": "Default build agent: reads, edits and runs commands",
            "mode": "primary", "native": True, "hidden": False, "temperature": 0.2, "topP": 0.9,
            "color": "#4F46E5", "permission": base + _safe_bash() + _SECRET_RULES,
            "model": {"modelID": "claude-sonnet-4.5", "providerID": "anthropic"},
            "prompt": "You are a careful software engineer.", "options": {}, "steps": 256,
        },
        {
            "name": "plan", "description": "Plans changes without editing files",
            "mode": "primary", "native": True, "hidden": False, "temperature": 0.1,
            "color": "#059669",
            "permission": base + _safe_bash() + _SECRET_RULES
            + [{"permission": "edit", "pattern": "*", "action": "deny"}],
            "model": {"modelID": "gpt-5", "providerID": "openai"}, "options": {},
        },
        {
            "name": "general", "description": "General-purpose subagent for multi-step tasks",
            "mode": "subagent", "native": True, "hidden": False,
            "permission": base + _safe_bash() + _SECRET_RULES,
            "model": {"modelID": "claude-haiku-4.5", "providerID": "anthropic"}, "options": {},
        },
        {
            "name": "explore", "description": "Read-only subagent for codebase exploration",
            "mode": "subagent", "native": True, "hidden": False,
            "permission": [
                {"permission": "read", "pattern": "*", "action": "allow"},
                {"permission": "edit", "pattern": "*", "action": "deny"},
                *_safe_bash(),
            ],
            "model": {"modelID": "claude-haiku-4.5", "providerID": "anthropic"}, "options": {},
        },
    ]


def agents() -> list[dict[str, Any]]:
    """``GET W/meta/agents``."""
    return _agent_defs()


def agent_names() -> list[str]:
    return [a["name"] for a in _agent_defs()]


def agent_ruleset(name: str) -> list[dict[str, Any]]:
    """The agent's pre-baked ruleset; an unknown agent gets the workspace config rules."""
    for agent in _agent_defs():
        if agent["name"] == name:
            return agent["permission"]
    return rules_from_config(_CONFIG["permission"])


def providers() -> dict[str, Any]:
    """``GET W/providers``."""

    def model(mid: str, name: str, context: int, output: int) -> dict[str, Any]:
        return {"id": mid, "name": name, "limit": {"context": context, "output": output}}

    return {
        "all": [
            {"id": "anthropic", "name": "Anthropic", "models": {
                "claude-sonnet-4.5": model("claude-sonnet-4.5", "Claude Sonnet 4.5", 200000, 64000),
                "claude-haiku-4.5": model("claude-haiku-4.5", "Claude Haiku 4.5", 200000, 64000),
            }},
            {"id": "openai", "name": "OpenAI", "models": {"gpt-5": model("gpt-5", "GPT-5", 400000, 128000)}},
            {"id": "google", "name": "Google", "models": {
                "gemini-2.5-pro": model("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 65536),
            }},
        ],
        "default": {"anthropic": "claude-sonnet-4.5", "openai": "gpt-5", "google": "gemini-2.5-pro"},
        "connected": ["anthropic", "openai"],
    }


def paths() -> dict[str, str]:
    """``GET W/meta/path``."""
    return {
        "home": HOME, "state": f"{HOME}/.hoody/state", "config": f"{HOME}/.hoody/config.json",
        "worktree": WORKTREE, "directory": WORKTREE,
    }


def skills() -> list[dict[str, Any]]:
    return [
        {
            "name": "code-review", "description": "Perform a thorough code review of recent changes.",
            "location": f"{WORKTREE}/.hoody/skills/code-review.md",
            "content": "# Code Review\n\nReview the staged diff and surface issues by severity.",
            "scope": "project", "editable": True, "enabled": True, "builtin": False,
        },
        {
            "name": "commit", "description": "Create a well-structured git commit.",
            "location": f"{HOME}/.hoody/skills/commit.md",
            "content": "# Commit\n\nGenerate a commit message that summarizes the staged diff.",
            "scope": "global", "editable": True, "enabled": True, "builtin": True,
        },
    ]


def commands() -> list[dict[str, Any]]:
    return [
        {
            "name": "review", "description": "Run a code review over the current diff.", "agent": "build",
            "model": "claude-sonnet-4.5", "source": "command",
            "template": "Review the following diff:\n\n$ARGUMENTS", "subtask": False, "hints": ["diff", "review"],
        },
        {
            "name": "plan", "description": "Draft an implementation plan.", "agent": "plan", "source": "skill",
            "template": "Create a plan for: $ARGUMENTS", "subtask": True, "hints": ["plan"],
        },
    ]


def formatters() -> list[dict[str, Any]]:
    return [
        {"name": "prettier", "extensions": [".ts", ".tsx", ".js", ".jsx", ".json", ".md"], "enabled": True},
        {"name": "black", "extensions": [".py"], "enabled": False},
    ]


def lsp_servers() -> list[dict[str, Any]]:
    return [
        {"id": "ts-lsp", "name": "TypeScript Language Server", "root": WORKTREE, "status": "connected"},
        {"id": "eslint", "name": "ESLint", "root": WORKTREE, "status": "connected"},
        {"id": "pyright", "name": "Pyright", "root": f"{WORKTREE}/scripts", "status": "error"},
    ]


CLI_AGENTS: dict[str, dict[str, Any]] = {
    "codex": {"label": "Codex", "model": "gpt-5-codex", "allow_git": False},
    "codex-rw": {"label": "Codex (read-write)", "model": "gpt-5-codex", "allow_git": True},
    "claude": {"label": "Claude Code", "model": "claude-sonnet-4.5", "allow_git": True},
    "gemini": {"label": "Gemini", "model": "gemini-2.5-pro", "allow_git": False},
    "gemini flash": {"label": "Gemini Flash", "model": "gemini-2.5-flash", "allow_git": False},
}
"""CLI agents ``POST S/cli-agent`` accepts (names are case-insensitive)."""

CLI_TIMEOUT_CEILING_MS = 600_000

JOB_TOOLS = frozenset({"bash", "webfetch", "cli_agent", "rsi", "self_tuning", "task", "test_runner"})
"""Tools with a registered job factory: a job of any other tool cannot be retried (410)."""
