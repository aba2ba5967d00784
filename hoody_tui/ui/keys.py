"""Remappable keys: every Binding has an id, and the config file's ``[keys]`` table maps
ids to keys (``"app.gates" = "f9"``), applied with Textual's keymap. The help screen
and the footer show the remapped keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from textual.binding import Binding

__all__ = ["binding_ids", "check_keymap"]


def _classes() -> Iterator[type]:
    from .app import HoodyApp
    from .screens.answer import AnswerScreen
    from .screens.cli_agent import CliAgentScreen
    from .screens.confirm import ConfirmScreen
    from .screens.details import DetailsScreen
    from .screens.full_output import FullOutputScreen
    from .screens.help import HelpScreen
    from .screens.job_detail import JobDetailScreen
    from .screens.loop import LoopScreen
    from .screens.prompt import TextPromptScreen
    from .views.base import TableView
    from .views.gates import GatesView
    from .views.jobs import JobsView
    from .views.sessions import SessionsView
    from .views.stream import StreamView
    from .widgets.filter_input import FilterInput

    yield from (HoodyApp, TableView, SessionsView, StreamView, JobsView, GatesView, FilterInput, AnswerScreen,
                CliAgentScreen, ConfirmScreen, DetailsScreen, FullOutputScreen, HelpScreen, JobDetailScreen,
                LoopScreen, TextPromptScreen)


def binding_ids() -> dict[str, Binding]:
    """Every remappable binding by id."""
    found: dict[str, Binding] = {}
    for cls in _classes():
        for binding in [*getattr(cls, "BINDINGS", []), getattr(cls, "ENTER", None)]:
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def check_keymap(keys: Mapping[str, str]) -> list[str]:
    """What is wrong with a ``[keys]`` table, one sentence each (empty: nothing)."""
    known = binding_ids()
    problems = []
    for binding_id, key in keys.items():
        if binding_id not in known:
            close = sorted(k for k in known if k.split(".")[0] == binding_id.split(".")[0])
            hint = f" (ids of that group: {', '.join(close)})" if close else " (the help screen, F1, lists every key)"
            problems.append(f"[keys] {binding_id!r} is no key binding id{hint}")
        elif not key.strip() or any(not part.strip() for part in key.split(",")):
            problems.append(f"[keys] {binding_id!r}: {key!r} is not a key (e.g. \"f9\", \"ctrl+g\", \"y,enter\")")
    return problems
