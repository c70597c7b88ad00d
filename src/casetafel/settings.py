"""Typed settings: config/casetafel.toml, overridden by CASETAFEL_* environment variables.

An invalid value raises SettingsError naming the source (file or variable), the key and
what is wrong, so that the CLI can print one line and exit with code 2.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "CASETAFEL_"
# CASETAFEL_ variables that are not settings of the file; CASETAFEL_TEST_* belong to the tests.
_OTHER_VARIABLES = ("CONFIG_DIR", "MIGRATIONS_DIR")
_TEST_VARIABLES = "TEST_"


class SettingsError(Exception):
    """A configuration value is missing or invalid."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    # Secrets (passwords in URLs, the key) stay out of repr, and so out of logs and tracebacks.
    database_url: str = field(repr=False)
    smtp_url: str = field(repr=False)
    base_url: str
    secret_key: str = field(repr=False)
    timezone: str
    session_idle_minutes: int
    secure_cookies: bool
    working_hours_start: time
    working_hours_end: time
    db_pool_min: int
    db_pool_max: int
    mail_max_attempts: int
    mail_retry_base_seconds: int
    mail_retry_max_seconds: int
    mail_send_interval_seconds: int
    mail_sink_dir: str
    dev_mail_page: bool
    # Inbound mail (iMIP REPLY): empty means no polling. Optional in the file (see _OPTIONAL).
    imap_url: str = field(default="", repr=False)
    imap_poll_seconds: int = 60

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        raw = self.database_url.removeprefix("sqlite:///")
        path = Path(raw)
        return path if path.is_absolute() else self.config_dir.parent / path

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def mail_sink_path(self) -> Path:
        path = Path(self.mail_sink_dir)
        return path if path.is_absolute() else self.config_dir.parent / path


def default_config_dir() -> Path:
    """CASETAFEL_CONFIG_DIR, else ./config, else the repository's config/ beside src/."""
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG_DIR")
    if explicit:
        return Path(explicit).resolve()
    cwd_config = Path.cwd() / "config"
    if (cwd_config / "casetafel.toml").is_file():
        return cwd_config.resolve()
    return (Path(__file__).resolve().parents[2] / "config").resolve()


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise SettingsError(str(path), "-", "bestand niet gevonden (file not found)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(str(path), "-", f"not valid TOML ({exc})") from exc


def load_settings(config_dir: Path | None = None) -> Settings:
    config_dir = config_dir or default_config_dir()
    path = config_dir / "casetafel.toml"
    raw = load_toml(path)
    known = {f.name for f in fields(Settings)} - {"config_dir"}
    for key in raw:
        if key not in known:
            raise SettingsError(str(path), key, "unknown setting")
    _refuse_unknown_variables(known)
    values: dict[str, Any] = {"config_dir": config_dir}
    for name in sorted(known):
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if env_name in os.environ:
            source, value = env_name, os.environ[env_name]
        elif name in raw:
            source, value = str(path), raw[name]
        elif name in _OPTIONAL:
            source, value = str(path), _OPTIONAL[name]
        else:
            raise SettingsError(str(path), name, "missing")
        values[name] = _parse(name, value, source)
    settings = Settings(**values)
    _check_consistency(settings, str(path))
    return settings


def _refuse_unknown_variables(known: set[str]) -> None:
    """A misspelled variable would otherwise be ignored: the file's value would win unseen."""
    names = sorted({name.upper() for name in known} | set(_OTHER_VARIABLES))
    for env_name in sorted(os.environ):
        name = env_name.removeprefix(ENV_PREFIX)
        if name == env_name or name in names or name.startswith(_TEST_VARIABLES):
            continue
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else ""
        raise SettingsError("environment", env_name, f"unknown variable{hint}")


def _parse(name: str, value: Any, source: str) -> Any:
    parser = _PARSERS[name]
    try:
        return parser(value)
    except (ValueError, TypeError) as exc:
        raise SettingsError(source, name, str(exc)) from exc


def _database_url(value: Any) -> str:
    text = _string(value)
    if text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
        return text
    parsed = urlparse(text)
    if parsed.scheme in {"postgresql", "postgres"} and parsed.hostname and parsed.path.strip("/"):
        return text
    raise ValueError(
        f"{text!r} is not a database URL; use sqlite:///path/to/file.db "
        "or postgresql://user@host:port/database"
    )


def _smtp_url(value: Any) -> str:
    text = _string(value)
    parsed = urlparse(text)
    if parsed.scheme in {"smtp", "smtps"} and parsed.hostname:
        try:
            parsed.port  # noqa: B018 - raises on a non-numeric port
        except ValueError as exc:
            raise ValueError(f"{text!r} has an invalid port") from exc
        return text
    raise ValueError(f"{text!r} is not an SMTP URL; use smtp://host:port")


def _imap_url(value: Any) -> str:
    """Empty: no polling. Else imap(s)://user:password@host[:port][/MAILBOX]; the error text
    never shows the password."""
    if not isinstance(value, str):
        raise ValueError("must be a text (empty to switch polling off)")
    text = value.strip()
    if not text:
        return ""
    parsed = urlparse(text)
    shown = redact_password(text)
    if parsed.scheme not in {"imap", "imaps"} or not parsed.hostname:
        raise ValueError(
            f"{shown!r} is not an IMAP URL; use imap://user:password@host:port/MAILBOX "
            "or imaps://... (or an empty text for no polling)"
        )
    try:
        parsed.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise ValueError(f"{shown!r} has an invalid port") from exc
    if not parsed.username or not parsed.password:
        raise ValueError(
            f"{shown!r} has no user:password@ to log in with (percent-encode @ : / # in them)"
        )
    mailbox = unquote(parsed.path.lstrip("/"))
    if not mailbox.isascii() or not mailbox.isprintable():
        raise ValueError(f"mailbox {mailbox!r} must be a plain ASCII IMAP folder name")
    return text


def redact_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return url.replace(f":{parsed.password}@", ":***@", 1)


def _poll_seconds(value: Any) -> int:
    number = _positive_int(value)
    if number < 5:
        raise ValueError("must be 5 or more (seconds between two polls)")
    return number


def _base_url(value: Any) -> str:
    text = _string(value).rstrip("/")
    parsed = urlparse(text)
    if parsed.scheme in {"http", "https"} and parsed.hostname:
        return text
    raise ValueError(f"{text!r} is not an http(s) URL")


def _secret_key(value: Any) -> str:
    text = _string(value)
    if len(text) < 32:
        raise ValueError("must be at least 32 characters")
    return text


def _timezone(value: Any) -> str:
    text = _string(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {text!r}") from exc
    return text


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{value!r} is not true or false")


def _clock_time(value: Any) -> time:
    text = _string(value)
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError(f"{text!r} is not a time like 08:30")
    return time.fromisoformat(text)


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value.strip()


_PARSERS: dict[str, Any] = {
    "database_url": _database_url,
    "smtp_url": _smtp_url,
    "base_url": _base_url,
    "secret_key": _secret_key,
    "timezone": _timezone,
    "session_idle_minutes": _positive_int,
    "secure_cookies": _bool,
    "working_hours_start": _clock_time,
    "working_hours_end": _clock_time,
    "db_pool_min": _positive_int,
    "db_pool_max": _positive_int,
    "mail_max_attempts": _positive_int,
    "mail_retry_base_seconds": _positive_int,
    "mail_retry_max_seconds": _positive_int,
    "mail_send_interval_seconds": _positive_int,
    "mail_sink_dir": _string,
    "dev_mail_page": _bool,
    "imap_url": _imap_url,
    "imap_poll_seconds": _poll_seconds,
}

# Settings a config file may leave out, with the value they then have.
_OPTIONAL: dict[str, Any] = {"imap_url": "", "imap_poll_seconds": 60}


def _check_consistency(settings: Settings, source: str) -> None:
    if settings.working_hours_end <= settings.working_hours_start:
        raise SettingsError(source, "working_hours_end", "must be later than working_hours_start")
    if settings.db_pool_max < settings.db_pool_min:
        raise SettingsError(source, "db_pool_max", "must be at least db_pool_min")
    if settings.mail_retry_max_seconds < settings.mail_retry_base_seconds:
        raise SettingsError(
            source, "mail_retry_max_seconds", "must be at least mail_retry_base_seconds"
        )
