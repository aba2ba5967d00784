"""Where the app's files are: the Textual CSS shipped with the package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["styles_dir", "stylesheet"]

_PACKAGE = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """The folder holding the ``.tcss`` files.

    An installed wheel carries them as ``hoody_tui/styles`` (hatchling force-include);
    a source checkout or an editable install keeps them at the top-level ``styles/``.
    """
    packaged = _PACKAGE / "styles"
    if packaged.is_dir():
        return packaged
    source = _PACKAGE.parent / "styles"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"hoody-tui styles not found (looked in {packaged} and {source})")


def stylesheet(name: str) -> Path:
    return styles_dir() / name
