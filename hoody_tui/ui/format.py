"""Turning numbers and states into the short strings the tables show."""

from __future__ import annotations

__all__ = ["relative_time", "money", "count", "duration", "progress_bar", "STATUS_ICONS"]

STATUS_ICONS = {
    "idle": "○",
    "busy": "●",
    "retry": "↻",
    "error": "✕",
    "queued": "…",
    "running": "▶",
    "completed": "✓",
    "failed": "✕",
    "expired": "⌛",
    "cancelled": "⊘",
    "pending": "…",
}


def relative_time(then_ms: int | None, now_s: float) -> str:
    """``now``, ``10s`` … ``50s`` (in steps of ten), ``5m``, ``3h``, ``2d`` ago; ``-`` when
    unknown. Steps of ten seconds, not one: a column of recent times that changed every
    second redrew every row of it every second, on a dashboard kept open all day."""
    if then_ms is None:
        return "-"
    seconds = max(0, int(now_s - then_ms / 1000))
    if seconds < 10:
        return "now"
    if seconds < 60:
        return f"{seconds // 10 * 10}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def money(value: float | None) -> str:
    if not value:
        return "-"
    return f"${value:.2f}" if value >= 0.01 else f"${value:.4f}"


def count(value: int | None) -> str:
    """Token counts: ``950``, ``12.3k``, ``4.1M``."""
    if not value:
        return "-"
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_bar(percent: float | None, width: int = 10) -> str:
    """``███████░░░ 70%``; blank when there is no percentage."""
    if percent is None:
        return ""
    p = max(0.0, min(100.0, float(percent)))
    filled = round(p / 100 * width)
    return "█" * filled + "░" * (width - filled) + f" {p:3.0f}%"
