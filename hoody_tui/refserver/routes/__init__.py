"""The route table, relative to a prefix (``/api/v1`` or ``/api/v1/agent``).

Order matters where a literal segment shares a position with a parameter:
``sessions/status`` comes before ``sessions/{sessionID}``, and ``jobs/cancel`` /
``jobs/inject`` before ``jobs/{jobId}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Route

from . import gates, jobs, messages, meta, sessions

__all__ = ["ROUTES", "build_routes", "control_routes"]

W = "/workspaces/{workspaceID}"
S = W + "/sessions/{sessionID}"

Endpoint = Callable[..., object]

ROUTES: list[tuple[str, str, Endpoint]] = [
    ("GET", "/workspaces/health", sessions.health),
    # sessions
    ("GET", W + "/sessions", sessions.list_sessions),
    ("GET", W + "/sessions/status", sessions.session_statuses),
    ("GET", S, sessions.get_session),
    ("PATCH", S, sessions.patch_session),
    ("DELETE", S, sessions.delete_session),
    ("GET", S + "/children", sessions.children),
    ("GET", S + "/summary", sessions.summary),
    ("GET", S + "/diff", sessions.diff),
    ("GET", S + "/todo", sessions.todo),
    ("POST", S + "/abort", sessions.abort),
    ("POST", S + "/fork", sessions.fork),
    ("POST", S + "/summarize", sessions.summarize),
    ("POST", S + "/revert", sessions.revert),
    ("POST", S + "/unrevert", sessions.unrevert),
    ("POST", S + "/prompt_async", sessions.prompt_async),
    ("POST", S + "/message", sessions.message),
    # messages
    ("GET", S + "/messages", messages.list_messages),
    ("GET", S + "/messages/{messageID}", messages.get_message),
    ("GET", S + "/messages/{messageID}/tools/{callID}", messages.tool_call),
    ("GET", S + "/messages/{messageID}/stream", messages.stream_message),
    # permissions and questions
    ("GET", S + "/permissions", gates.session_permissions),
    ("GET", W + "/config/permission", gates.config_permission),
    ("GET", W + "/permissions", gates.list_permissions),
    ("POST", W + "/permissions/{requestID}/reply", gates.reply_permission),
    ("GET", W + "/questions", gates.list_questions),
    ("POST", W + "/questions/{requestID}/reply", gates.reply_question),
    ("POST", W + "/questions/{requestID}/reject", gates.reject_question),
    ("POST", W + "/questions/{requestID}/consult", gates.consult_question),
    # jobs (literal segments before {jobId})
    ("GET", S + "/jobs", jobs.list_jobs),
    ("POST", S + "/jobs/cancel", jobs.cancel_jobs),
    ("POST", S + "/jobs/inject", jobs.inject_jobs),
    ("GET", S + "/jobs/{jobId}", jobs.get_job),
    ("GET", S + "/jobs/{jobId}/output", jobs.job_output),
    ("POST", S + "/jobs/{jobId}/cancel", jobs.cancel_job),
    ("POST", S + "/jobs/{jobId}/retry", jobs.retry_job),
    # loop and CLI agent
    ("GET", S + "/loop", jobs.get_loop),
    ("POST", S + "/loop", jobs.install_loop),
    ("DELETE", S + "/loop", jobs.clear_loop),
    ("POST", S + "/cli-agent", jobs.start_cli_agent),
    ("GET", S + "/cli-agent/runs/{jobID}/stream", jobs.stream_cli_agent),
    # meta
    ("GET", W + "/meta/path", meta.meta_path),
    ("GET", W + "/meta/agents", meta.meta_agents),
    ("GET", W + "/meta/vcs", meta.meta_vcs),
    ("GET", W + "/meta/skills", meta.meta_skills),
    ("GET", W + "/meta/commands", meta.meta_commands),
    ("GET", W + "/meta/formatter/status", meta.meta_formatters),
    ("GET", W + "/meta/lsp/status", meta.meta_lsp),
    ("GET", W + "/meta/events", meta.events),
    ("POST", W + "/meta/dispose", meta.meta_dispose),
    ("GET", W + "/providers", meta.providers),
]


def build_routes(prefixes: Sequence[str]) -> list[BaseRoute]:
    """Every route under each prefix (the longer prefix first)."""
    routes: list[BaseRoute] = []
    for prefix in sorted(prefixes, key=len, reverse=True):
        for method, path, endpoint in ROUTES:
            routes.append(Route(prefix + path, endpoint, methods=[method]))
    return routes


def control_routes() -> list[BaseRoute]:
    """``/_control/faults`` (GET the faults, POST changes): only with ``control=True``."""
    return [
        Route("/_control/faults", meta.get_faults, methods=["GET"]),
        Route("/_control/faults", meta.set_faults, methods=["POST"]),
    ]
