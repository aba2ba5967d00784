"""Settings: flags, then the environment, then a named profile of the config file.

The config file is TOML in the XDG config dir (``~/.config/hoody-tui/config.toml``,
or ``$HOODY_CONFIG``)::

    default_profile = "work"
    sources = ["work", "local"]   # several at once (a command's gates of both), when none is named

    [profiles.work]
    url = "https://api.hoody.com"
    workspace = "5f9b3a2e1c8d4f7b6a5e3d2c"
    token_file = "~/.config/hoody-tui/work.token"   # or token = "..." (keep the file private)
    theme = "nord"

    [profiles.local]
    url = "http://127.0.0.1:4096"
    workspace = "demo"
    backend = "hoody"        # auto (the default) asks the server what it is

    [keys]                   # binding ids to keys (ids: the help screen, F1)
    "app.gates" = "f9"
    "gates.once" = "y,enter"

Environment: ``HOODY_URL``, ``HOODY_WORKSPACE``, ``HOODY_TOKEN``, ``HOODY_PROFILE``,
``HOODY_CONFIG`` (read with pydantic-settings). The token never comes from a flag value.
"""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ConfigError",
    "Profile",
    "ConfigFile",
    "EnvSettings",
    "default_config_path",
    "load_config_file",
    "read_token_file",
    "private_file_warning",
]

APP_NAME = "hoody-tui"


class ConfigError(Exception):
    """A problem with the settings, said in one line."""


class Profile(BaseModel):
    """One server/workspace the user connects to by name."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    workspace: str | None = None
    token: SecretStr | None = None
    token_file: Path | None = None
    insecure: bool = False
    api_prefix: str | None = None
    theme: str | None = None
    backend: str | None = None


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    sources: list[str] = Field(default_factory=list)
    """Profile names opened together when none is named (several servers at once)."""
    theme: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)
    keys: dict[str, str] = Field(default_factory=dict)
    """Binding ids to keys, applied with Textual's keymap (``"app.gates" = "f9"``)."""


class EnvSettings(BaseSettings):
    """The ``HOODY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="HOODY_", extra="ignore")

    url: str | None = None
    workspace: str | None = None
    token: SecretStr | None = None
    profile: str | None = None
    config: Path | None = None


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def private_file_warning(path: Path) -> str | None:
    """A warning when a file holding a secret can be read by group or others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"warning: {path} can be read by other users; run `chmod 600 {path}`"
    return None


def load_config_file(path: Path, *, required: bool) -> ConfigFile:
    """Read and check the config file; a missing optional file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist") from None
        return ConfigFile()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"config file {path}: {where}: {first.get('msg')}") from None


def read_token_file(path: Path) -> str:
    path = path.expanduser()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if not token:
        raise ConfigError(f"the token file {path} is empty")
    return token


def environment() -> EnvSettings:
    try:
        return EnvSettings()
    except ValidationError as exc:  # pragma: no cover - every field is a plain string
        raise ConfigError(f"bad HOODY_* environment variable: {exc.errors()[0].get('msg')}") from None


def config_path_from(env: EnvSettings) -> tuple[Path, bool]:
    """The config file to read, and whether the user named it (then it must exist)."""
    if env.config is not None:
        return env.config.expanduser(), True
    return default_config_path(), False
