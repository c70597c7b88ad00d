"""The escalation ladder's levels, read from config/escalation.toml.

A core module (not in escalation/) because the case register needs the level names and
order too, and cases/ sits below escalation/ in the dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casetafel.settings import SettingsError, load_toml

ORGANISATION_KINDS = (
    "gemeente",
    "om",
    "politie",
    "reclassering",
    "dji",
    "forensische_zorg",
    "zvh",
    "opvang",
    "woningcorporatie",
    "ggz",
    "regiegroep",
)


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    owner_kind: str
    meeting_kind: str


@dataclass(frozen=True)
class Ladder:
    levels: tuple[Level, ...]

    @property
    def bottom(self) -> Level:
        return self.levels[0]

    @property
    def top(self) -> Level:
        return self.levels[-1]

    def keys(self) -> list[str]:
        return [level.key for level in self.levels]

    def get(self, key: str) -> Level | None:
        return next((level for level in self.levels if level.key == key), None)

    def name(self, key: str) -> str:
        level = self.get(key)
        return level.name if level else key

    def position(self, key: str) -> int:
        return self.keys().index(key)


def load_ladder(config_dir: Path) -> Ladder:
    path = config_dir / "escalation.toml"
    raw = load_toml(path)
    entries = raw.get("levels")
    if not isinstance(entries, list) or not entries:
        raise SettingsError(str(path), "levels", "at least one [[levels]] entry is required")
    levels: list[Level] = []
    for index, entry in enumerate(entries):
        levels.append(_level(entry, f"levels[{index}]", str(path)))
    keys = [level.key for level in levels]
    duplicate = next((key for key in keys if keys.count(key) > 1), None)
    if duplicate:
        raise SettingsError(str(path), "levels", f"level key {duplicate!r} appears twice")
    return Ladder(tuple(levels))


def _level(entry: Any, where: str, source: str) -> Level:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    values: dict[str, str] = {}
    for field in ("key", "name", "owner_kind", "meeting_kind"):
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(source, f"{where}.{field}", "missing or empty")
        values[field] = value.strip()
    if values["owner_kind"] not in ORGANISATION_KINDS:
        raise SettingsError(
            source, f"{where}.owner_kind", f"unknown organisation kind {values['owner_kind']!r}"
        )
    return Level(**values)
