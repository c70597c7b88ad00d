"""The escalation rules and obstacles from config/escalation.toml, validated.

Rule kinds are code (escalation/rules.py); their parameters are configuration. Each rule has
an id (the table name under [rules]) that is recorded as the trigger of what it causes. A
region may override parameters under [regions.<CODE>.rules.<id>].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from casetafel.cases.vocabulary import CATEGORIES
from casetafel.ladder import ORGANISATION_KINDS, Ladder, load_ladder
from casetafel.settings import SettingsError, load_toml


@dataclass(frozen=True)
class HousingDeadline:
    """Housing not arranged N working days before release: escalate one level."""

    id: str
    obstacle: str
    working_days_before_release: dict[str, int]
    minimum_working_days_at_level: int = 0


@dataclass(frozen=True)
class TimeBox:
    """No decision within N working days of entering a level: escalate one level."""

    id: str
    obstacle: str
    working_days: dict[str, int]


@dataclass(frozen=True)
class ConferenceDue:
    """A case conference within N working days of entering a level; a reminder on the way."""

    id: str
    working_days: dict[str, int]
    reminder_at: float = 0.5


@dataclass(frozen=True)
class StartLevel:
    """A case of this category starts at this level, with a conference within N days."""

    id: str
    category: str
    level: str
    conference_within_working_days: int


@dataclass(frozen=True)
class AddParticipant:
    """A case of this category gets the region's organisation of this kind as participant."""

    id: str
    category: str
    organisation_kind: str


@dataclass(frozen=True)
class HousingCondition:
    """A case of this category gets a condition on its housing."""

    id: str
    category: str
    condition: str


@dataclass(frozen=True)
class BijMissing:
    """A BIJ case returning within N calendar days without a BIJ notice: alert."""

    id: str
    categories: frozenset[str]
    calendar_days_before_release: int


@dataclass(frozen=True)
class DeadlineWarning:
    """A warning to the level's owner N working days before a deadline."""

    id: str
    working_days_before: int


Rule = (
    HousingDeadline
    | TimeBox
    | ConferenceDue
    | StartLevel
    | AddParticipant
    | HousingCondition
    | BijMissing
    | DeadlineWarning
)

KINDS: dict[str, type[Any]] = {
    "housing_deadline": HousingDeadline,
    "time_box": TimeBox,
    "conference_due": ConferenceDue,
    "start_level": StartLevel,
    "add_participant": AddParticipant,
    "housing_condition": HousingCondition,
    "bij_missing": BijMissing,
    "deadline_warning": DeadlineWarning,
}
# Kinds that may appear once only: they fire on a level, not on a category.
SINGLE_KINDS = ("housing_deadline", "time_box", "conference_due", "bij_missing", "deadline_warning")
# A rule id is stored as the trigger of a move and the rule of a deadline (40 characters);
# "user" is the trigger of a move by hand.
RULE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
RESERVED_RULE_IDS = frozenset({"user"})


@dataclass(frozen=True)
class RuleSet:
    """The rules that apply to the cases of one region."""

    rules: tuple[Rule, ...]

    def _one(self, kind: type[Any]) -> Any:
        return next((rule for rule in self.rules if isinstance(rule, kind)), None)

    @property
    def housing(self) -> HousingDeadline | None:
        found: HousingDeadline | None = self._one(HousingDeadline)
        return found

    @property
    def time_box(self) -> TimeBox | None:
        found: TimeBox | None = self._one(TimeBox)
        return found

    @property
    def conference(self) -> ConferenceDue | None:
        found: ConferenceDue | None = self._one(ConferenceDue)
        return found

    @property
    def bij_missing(self) -> BijMissing | None:
        found: BijMissing | None = self._one(BijMissing)
        return found

    @property
    def warning(self) -> DeadlineWarning | None:
        found: DeadlineWarning | None = self._one(DeadlineWarning)
        return found

    def for_categories(self, kind: type[Any], categories: Iterable[str]) -> list[Any]:
        wanted = set(categories)
        return [r for r in self.rules if isinstance(r, kind) and r.category in wanted]

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True)
class EscalationConfig:
    ladder: Ladder
    obstacles: dict[str, str]
    default: RuleSet
    regions: dict[str, RuleSet] = field(default_factory=dict)

    def rules_for(self, region_code: str) -> RuleSet:
        return self.regions.get(region_code, self.default)

    def obstacle_label(self, key: str | None) -> str:
        return self.obstacles.get(key or "", key or "")


def load_escalation(
    config_dir: Path, region_codes: Iterable[str] | None = None
) -> EscalationConfig:
    """Read and check the ladder, obstacles and rules. `region_codes` (when given) are the
    regions a [regions.X] override may name."""
    path = config_dir / "escalation.toml"
    source = str(path)
    ladder = load_ladder(config_dir)
    raw = load_toml(path)
    _only_keys(raw, {"levels", "obstacles", "rules", "regions"}, source, "")
    obstacles = _obstacles(raw.get("obstacles"), source)
    checker = _Checker(source, ladder, obstacles)
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, dict) or not rules_raw:
        raise SettingsError(source, "rules", "at least one [rules.<id>] table is required")
    for rule_id in rules_raw:
        _check_rule_id(rule_id, source)
    default = RuleSet(tuple(checker.rule(rule_id, body) for rule_id, body in rules_raw.items()))
    checker.single_kinds(default)
    regions = _regions(raw.get("regions", {}), default, rules_raw, checker, region_codes)
    return EscalationConfig(ladder=ladder, obstacles=obstacles, default=default, regions=regions)


def _check_rule_id(rule_id: str, source: str) -> None:
    where = f"rules.{rule_id}"
    if not RULE_ID.fullmatch(rule_id):
        raise SettingsError(
            source,
            where,
            "a rule id is lowercase letters, digits and _ (starting with a letter), "
            "at most 40 characters",
        )
    if rule_id in RESERVED_RULE_IDS:
        raise SettingsError(source, where, f"the rule id {rule_id!r} is reserved")


def _obstacles(raw: Any, source: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise SettingsError(source, "obstacles", "at least one obstacle is required")
    for key, label in raw.items():
        if not isinstance(label, str) or not label.strip():
            raise SettingsError(source, f"obstacles.{key}", "must be a non-empty text")
    return {key: label.strip() for key, label in raw.items()}


def _regions(
    raw: Any,
    default: RuleSet,
    rules_raw: dict[str, Any],
    checker: _Checker,
    region_codes: Iterable[str] | None,
) -> dict[str, RuleSet]:
    if not isinstance(raw, dict):
        raise SettingsError(checker.source, "regions", "must be a table")
    known = set(region_codes) if region_codes is not None else None
    regions: dict[str, RuleSet] = {}
    for code, body in raw.items():
        where = f"regions.{code}"
        if known is not None and code not in known:
            raise SettingsError(checker.source, where, f"unknown region {code!r}")
        if not isinstance(body, dict):
            raise SettingsError(checker.source, where, "must be a table")
        _only_keys(body, {"rules"}, checker.source, where)
        overrides = _overrides(body.get("rules", {}), rules_raw, checker.source, where)
        rules = [
            checker.rule(rule_id, _merge(base, overrides.get(rule_id, {})), f"{where}.rules")
            for rule_id, base in rules_raw.items()
        ]
        regions[code] = RuleSet(tuple(rules))
    return regions


def _overrides(
    raw: Any, rules_raw: dict[str, Any], source: str, where: str
) -> dict[str, dict[str, Any]]:
    """A region's [regions.X.rules.<id>] tables: parameters of known rules, not their kind."""
    if not isinstance(raw, dict):
        raise SettingsError(source, f"{where}.rules", "must be a table of [rules.<id>] tables")
    for rule_id, override in raw.items():
        key = f"{where}.rules.{rule_id}"
        if rule_id not in rules_raw:
            raise SettingsError(
                source, key, f"unknown rule id {rule_id!r}; rules: {sorted(rules_raw)}"
            )
        if not isinstance(override, dict):
            raise SettingsError(source, key, "must be a table")
        if "kind" in override:
            raise SettingsError(
                source, f"{key}.kind", "a region changes parameters, not the kind of a rule"
            )
    return raw


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _only_keys(raw: dict[str, Any], allowed: set[str], source: str, where: str) -> None:
    for key in raw:
        if key not in allowed:
            full = f"{where}.{key}" if where else key
            raise SettingsError(source, full, "unknown key")


class _Checker:
    """Turns one [rules.<id>] table into its rule dataclass, or raises SettingsError."""

    def __init__(self, source: str, ladder: Ladder, obstacles: dict[str, str]) -> None:
        self.source = source
        self.ladder = ladder
        self.obstacles = obstacles

    def fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(self.source, key, problem)

    def rule(self, rule_id: str, body: Any, prefix: str = "rules") -> Rule:
        where = f"{prefix}.{rule_id}"
        if not isinstance(body, dict):
            raise self.fail(where, "must be a table")
        kind = body.get("kind")
        if kind not in KINDS:
            raise self.fail(
                f"{where}.kind", f"unknown rule kind {kind!r}; use one of {sorted(KINDS)}"
            )
        cls = KINDS[kind]
        names = {f.name for f in fields(cls)} - {"id"}
        _only_keys(body, names | {"kind"}, self.source, where)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "id":
                continue
            key = f"{where}.{f.name}"
            if f.name not in body:
                if f.default is not MISSING:
                    continue
                raise self.fail(key, "missing")
            values[f.name] = self._PARSERS[f.name](self, body[f.name], key)
        rule: Rule = cls(id=rule_id, **values)
        self._check_levels(rule, where)
        return rule

    def single_kinds(self, rules: RuleSet) -> None:
        for kind in SINGLE_KINDS:
            found = [r.id for r in rules.rules if isinstance(r, KINDS[kind])]
            if len(found) > 1:
                raise self.fail(f"rules.{found[1]}", f"a second rule of kind {kind!r}")

    def _check_levels(self, rule: Rule, where: str) -> None:
        if isinstance(rule, HousingDeadline | TimeBox):
            days = (
                rule.working_days_before_release
                if isinstance(rule, HousingDeadline)
                else rule.working_days
            )
            if self.ladder.top.key in days:
                raise self.fail(where, f"the top level {self.ladder.top.key!r} cannot escalate")

    def _level(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or self.ladder.get(value) is None:
            raise self.fail(key, f"unknown level {value!r}; levels: {self.ladder.keys()}")
        return value

    def _days(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "must be a whole number")
        if value < 0:
            raise self.fail(key, "must not be negative")
        if value > 400:
            raise self.fail(key, "must be 400 or less")
        return value

    def _days_per_level(self, value: Any, key: str) -> dict[str, int]:
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "must be a table of level = days, e.g. { local = 20 }")
        return {
            self._level(level, f"{key}.{level}"): self._days(days, f"{key}.{level}")
            for level, days in value.items()
        }

    def _obstacle(self, value: Any, key: str) -> str:
        if value not in self.obstacles:
            raise self.fail(key, f"unknown obstacle {value!r}; see [obstacles]")
        return str(value)

    def _category(self, value: Any, key: str) -> str:
        if value not in CATEGORIES:
            raise self.fail(key, f"unknown category {value!r}; use one of {sorted(CATEGORIES)}")
        return str(value)

    def _categories(self, value: Any, key: str) -> frozenset[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, "must be a list of categories")
        return frozenset(self._category(item, key) for item in value)

    def _organisation_kind(self, value: Any, key: str) -> str:
        if value not in ORGANISATION_KINDS:
            raise self.fail(key, f"unknown organisation kind {value!r}")
        return str(value)

    def _text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty text")
        return value.strip()

    def _fraction(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise self.fail(key, "must be a fraction between 0 and 1, e.g. 0.5")
        return float(value)

    _PARSERS: ClassVar[dict[str, Callable[[_Checker, Any, str], Any]]] = {
        "obstacle": _obstacle,
        "working_days_before_release": _days_per_level,
        "minimum_working_days_at_level": _days,
        "working_days": _days_per_level,
        "reminder_at": _fraction,
        "category": _category,
        "level": _level,
        "conference_within_working_days": _days,
        "organisation_kind": _organisation_kind,
        "condition": _text,
        "categories": _categories,
        "calendar_days_before_release": _days,
        "working_days_before": _days,
    }
