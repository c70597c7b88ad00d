"""The kinds of case conference and the reminder setting, from config/meetings.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from casetafel.ladder import Ladder
from casetafel.settings import SettingsError, load_toml


@dataclass(frozen=True)
class MeetingKind:
    key: str
    name: str
    duration: timedelta
    standing: bool = False
    # For a standing meeting: referrals close this many calendar days before an occurrence,
    # at this local time (Monday 12:00 before a Tuesday triage).
    referral_cutoff_days_before: int = 0
    referral_cutoff_time: time = time(12, 0)


@dataclass(frozen=True)
class MeetingsConfig:
    kinds: tuple[MeetingKind, ...]
    reminder_working_days_before: int

    def kind(self, key: str) -> MeetingKind | None:
        return next((kind for kind in self.kinds if kind.key == key), None)

    def name(self, key: str) -> str:
        kind = self.kind(key)
        return kind.name if kind else key


def load_meetings(config_dir: Path, ladder: Ladder) -> MeetingsConfig:
    path = config_dir / "meetings.toml"
    source = str(path)
    raw = load_toml(path)
    for key in raw:
        if key not in {"kinds", "reminder_working_days_before"}:
            raise SettingsError(source, key, "unknown key")
    days = raw.get("reminder_working_days_before", 1)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 10:
        raise SettingsError(source, "reminder_working_days_before", "must be a whole number 0-10")
    entries = raw.get("kinds")
    if not isinstance(entries, list) or not entries:
        raise SettingsError(source, "kinds", "at least one [[kinds]] entry is required")
    kinds = tuple(_kind(entry, f"kinds[{i}]", source) for i, entry in enumerate(entries))
    keys = [kind.key for kind in kinds]
    for key in keys:
        if keys.count(key) > 1:
            raise SettingsError(source, "kinds", f"kind {key!r} appears twice")
    for level in ladder.levels:
        if level.meeting_kind not in keys:
            raise SettingsError(
                source,
                "kinds",
                f"level {level.key!r} holds meeting kind {level.meeting_kind!r}, "
                "which is not defined here",
            )
    return MeetingsConfig(kinds=kinds, reminder_working_days_before=days)


def _kind(entry: Any, where: str, source: str) -> MeetingKind:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    allowed = {
        "key",
        "name",
        "duration_minutes",
        "standing",
        "referral_cutoff_days_before",
        "referral_cutoff_time",
    }
    for key in entry:
        if key not in allowed:
            raise SettingsError(source, f"{where}.{key}", "unknown key")
    for field in ("key", "name"):
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(source, f"{where}.{field}", "missing or empty")
    minutes = entry.get("duration_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 480:
        raise SettingsError(source, f"{where}.duration_minutes", "must be 15 to 480 minutes")
    standing = entry.get("standing", False)
    if not isinstance(standing, bool):
        raise SettingsError(source, f"{where}.standing", "must be true or false")
    cutoff_days = entry.get("referral_cutoff_days_before", 0)
    if (
        isinstance(cutoff_days, bool)
        or not isinstance(cutoff_days, int)
        or not 0 <= cutoff_days <= 28
    ):
        raise SettingsError(
            source, f"{where}.referral_cutoff_days_before", "must be a whole number 0-28"
        )
    cutoff_time = entry.get("referral_cutoff_time", "12:00")
    if not isinstance(cutoff_time, str) or not re.fullmatch(r"\d{2}:\d{2}", cutoff_time):
        raise SettingsError(source, f"{where}.referral_cutoff_time", "must be a time like 12:00")
    return MeetingKind(
        key=entry["key"].strip(),
        name=entry["name"].strip(),
        duration=timedelta(minutes=minutes),
        standing=standing,
        referral_cutoff_days_before=cutoff_days,
        referral_cutoff_time=time.fromisoformat(cutoff_time),
    )
