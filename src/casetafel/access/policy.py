"""The one declared access policy: roles, actions, legal bases and the sensitivity classes
they open, read from config/access.toml.

Code asks the policy (`actor.may(...)`, `case_classes(...)`); it never compares roles
itself, so that a change of who sees or does what is one edit in config/access.toml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from casetafel.ladder import ORGANISATION_KINDS
from casetafel.settings import SettingsError, load_toml


class Role(StrEnum):
    COORDINATOR = "coordinator"
    MUNICIPALITY = "municipality"
    PARTNER = "partner"
    REGIEGROEP = "regiegroep"
    FUNCTIONAL_ADMIN = "functional_admin"
    PRIVACY_OFFICER = "privacy_officer"


class Sensitivity(StrEnum):
    PROCESS = "process"  # reference, level, dates, municipalities, organisations, bases
    IDENTITY = "identity"  # the subject's name and birth date
    OFFENCE = "offence"  # categories, legal framework, BIJ notice (art. 18b Pbw, BIJ-regeling)
    BASIC_CONDITIONS = "basic_conditions"  # the five basisvoorwaarden (art. 18a Pbw)
    CASEWORK = "casework"  # free-text notes of the professionals


class Scope(StrEnum):
    """Which cases are a user's (see access/scope.py for what each means in SQL)."""

    REGION = "region"
    MUNICIPALITY = "municipality"
    PARTICIPANT = "participant"
    TOP_LEVEL = "top_level"
    NONE = "none"


# Every action the code asks about, with what it lets a user do (in Dutch, for messages).
# A route declares one of these (or PUBLIC / SIGNED_IN).
ACTION_TEXTS = {
    "case.read": "casussen inzien",
    "case.create": "casussen registreren",
    "case.edit": "casussen wijzigen en afsluiten",
    "escalation.move": "casussen op- of afschalen op het eigen niveau",
    "escalation.move.any_level": "casussen op elk niveau op- of afschalen",
    "escalation.progress": "een gehouden overleg vastleggen op het eigen niveau",
    "escalation.progress.any_level": "een gehouden overleg vastleggen op elk niveau",
    "meeting.attend": "overleggen bekijken waarvoor u bent uitgenodigd",
    "meeting.plan": "overleggen plannen en wijzigen",
    "meeting.refer": "casussen aanmelden voor een overleg",
    "action.complete.any": "acties van anderen gereedmelden",
    "mail.queue": "de wachtrij van de mail inzien",
    "mail.queue.all": "de wachtrij van de mail van alle regio's inzien",
    "persons.manage": "deelnemers beheren",
    "persons.manage.all": "deelnemers van alle organisaties beheren",
    "config.read": "de configuratie inzien",
    "audit.read": "het auditlog inzien",
    "retention.manage": "bewaartermijnen inzien en verlengen",
    "subject.overview": "een overzicht maken voor een inzageverzoek van een betrokkene",
}
ACTIONS = frozenset(ACTION_TEXTS)
# Route permissions that need no action: anyone (login, token links), any signed-in user.
PUBLIC = "public"
SIGNED_IN = "signed_in"

ANY_KIND = "*"


@dataclass(frozen=True)
class Basis:
    key: str
    label: str
    purpose: str
    default: bool
    categories: frozenset[str]
    case_basis: bool
    # Years after closing that a case's personal data are kept (0 for a non-case basis).
    retention_years: int


@dataclass(frozen=True)
class Grant:
    basis: str
    kinds: frozenset[str]
    classes: frozenset[Sensitivity]

    def covers(self, organisation_kind: str) -> bool:
        return ANY_KIND in self.kinds or organisation_kind in self.kinds


@dataclass(frozen=True)
class RolePolicy:
    role: Role
    label: str
    scope: Scope
    landing: str
    actions: frozenset[str]
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Policy:
    bases: Mapping[str, Basis]
    roles: Mapping[Role, RolePolicy]

    def case_bases(self) -> list[Basis]:
        return [basis for basis in self.bases.values() if basis.case_basis]

    def default_bases(self, categories: Iterable[str]) -> list[str]:
        """The bases recorded on a new case with these categories, in config order."""
        chosen = set(categories)
        return [b.key for b in self.case_bases() if b.default or (b.categories & chosen)]

    def participation_basis(self, organisation_kind: str, case_bases: Iterable[str]) -> str | None:
        """The basis an organisation of this kind takes part on in a case with these bases:
        the partner grant listed first that covers the kind and that the case has."""
        recorded = set(case_bases)
        for grant in self.roles[Role.PARTNER].grants:
            if grant.basis in recorded and grant.covers(organisation_kind):
                return grant.basis
        return None

    def retention_years(self, case_bases: Iterable[str]) -> int:
        """The term of a closed case with these recorded bases: the longest of theirs; the
        longest configured term when none of them is known (nothing removed too early)."""
        terms = [self.bases[k].retention_years for k in case_bases if k in self.bases]
        terms = [years for years in terms if years > 0]
        return max(terms or [b.retention_years for b in self.case_bases()])


_installed: Policy | None = None


def role_labels() -> dict[str, str]:
    return {str(role): rules.label for role, rules in current().roles.items()}


def install(policy: Policy) -> None:
    """Make the policy the one every actor asks; done by the app factory, CLI and tests."""
    global _installed
    _installed = policy


def current() -> Policy:
    if _installed is None:
        raise RuntimeError("no access policy installed (casetafel.access.policy.install)")
    return _installed


@dataclass(frozen=True)
class Actor:
    """The user acting in a service call, with what the access rules need to know."""

    user_id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int
    organisation_kind: str
    organisation_name: str
    region_id: int | None
    region_name: str
    municipality_id: int | None

    @property
    def rules(self) -> RolePolicy:
        return current().roles[self.role]

    @property
    def role_label(self) -> str:
        return self.rules.label

    @property
    def scope(self) -> Scope:
        return self.rules.scope

    def may(self, action: str) -> bool:
        assert action in ACTIONS, action
        return action in self.rules.actions

    # Shorthands for templates.
    @property
    def can_see_cases(self) -> bool:
        return self.may("case.read")

    @property
    def can_create_cases(self) -> bool:
        return self.may("case.create")

    @property
    def can_edit_cases(self) -> bool:
        return self.may("case.edit")

    @property
    def can_see_audit(self) -> bool:
        return self.may("audit.read")

    @property
    def can_admin(self) -> bool:
        return self.may("config.read")

    def grants(self) -> list[Grant]:
        return [g for g in self.rules.grants if g.covers(self.organisation_kind)]

    def case_classes(self, participation_basis: str | None = None) -> frozenset[Sensitivity]:
        """The classes this actor sees of one case. For a participant role they follow the
        basis the organisation takes part on in that case; else every grant of the role."""
        if self.scope is Scope.PARTICIPANT:
            return _union(g for g in self.grants() if g.basis == participation_basis)
        return _union(self.grants())

    def list_classes(self) -> frozenset[Sensitivity]:
        """The classes this actor sees in every case of its scope: what lists, filters and
        pages naming several cases may show."""
        if self.scope is Scope.PARTICIPANT:
            grants = self.grants()
            if not grants:
                return frozenset()
            return frozenset.intersection(*(g.classes for g in grants))
        return _union(self.grants())

    def legal_basis(self, participation_basis: str | None = None) -> str:
        """The label of the basis this actor processes on, for the audit log and pages."""
        return "; ".join(basis.label for basis in self._bases(participation_basis))

    def legal_purpose(self, participation_basis: str | None = None) -> str:
        """The purpose of that processing, for the audit log."""
        return "; ".join(basis.purpose for basis in self._bases(participation_basis))

    def _bases(self, participation_basis: str | None) -> list[Basis]:
        bases = current().bases
        if self.scope is Scope.PARTICIPANT:
            found = bases.get(participation_basis or "")
            return [found] if found else []
        return [bases[g.basis] for g in self.grants()]


def _union(grants: Iterable[Grant]) -> frozenset[Sensitivity]:
    found: set[Sensitivity] = set()
    for grant in grants:
        found |= grant.classes
    return frozenset(found)


def visible_classes(actor: Actor) -> frozenset[Sensitivity]:
    """What a page or query about several cases may show this actor."""
    return actor.list_classes()


def legal_basis(actor: Actor) -> str:
    return actor.legal_basis()


# Loading and validation -------------------------------------------------------------------


def load_policy(config_dir: Path, categories: Iterable[str]) -> Policy:
    """Read config/access.toml; a problem raises SettingsError naming the key."""
    path = config_dir / "access.toml"
    source = str(path)
    raw = load_toml(path)
    unknown = set(raw) - {"bases", "roles"}
    if unknown:
        raise SettingsError(source, sorted(unknown)[0], "unknown key (expected bases, roles)")
    bases = _bases(_table(raw, "bases", source), source, frozenset(categories))
    roles_raw = _table(raw, "roles", source)
    roles: dict[Role, RolePolicy] = {}
    for key, entry in roles_raw.items():
        try:
            role = Role(key)
        except ValueError:
            raise SettingsError(source, f"roles.{key}", _one_of("unknown role", Role)) from None
        roles[role] = _role(role, entry, bases, source)
    missing = [role for role in Role if role not in roles]
    if missing:
        raise SettingsError(source, f"roles.{missing[0]}", "every role needs an entry")
    return Policy(bases=bases, roles=roles)


def _bases(raw: dict[str, Any], source: str, categories: frozenset[str]) -> dict[str, Basis]:
    found: dict[str, Basis] = {}
    for key, entry in raw.items():
        where = f"bases.{key}"
        allowed = {"label", "purpose", "default", "categories", "case_basis", "retention_years"}
        _only(entry, allowed, where, source)
        chosen = _strings(entry.get("categories", []), f"{where}.categories", source)
        wrong = sorted(set(chosen) - categories)
        if wrong:
            raise SettingsError(source, f"{where}.categories", f"unknown category {wrong[0]!r}")
        case_basis = _flag(entry, "case_basis", True, where, source)
        found[key] = Basis(
            key=key,
            label=_text(entry, "label", where, source),
            purpose=_text(entry, "purpose", where, source),
            default=_flag(entry, "default", False, where, source),
            categories=frozenset(chosen),
            case_basis=case_basis,
            retention_years=_retention_years(entry, case_basis, where, source),
        )
    if not any(basis.case_basis for basis in found.values()):
        raise SettingsError(source, "bases", "at least one basis must be a case basis")
    return found


MAX_RETENTION_YEARS = 100


def _retention_years(entry: dict[str, Any], case_basis: bool, where: str, source: str) -> int:
    value = entry.get("retention_years")
    if not case_basis:
        if value is not None:
            raise SettingsError(
                source, f"{where}.retention_years", "only a case basis has a retention term"
            )
        return 0
    if value is None:
        raise SettingsError(
            source, f"{where}.retention_years", "required for a case basis (years after closing)"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(source, f"{where}.retention_years", "must be a whole number of years")
    if not 1 <= value <= MAX_RETENTION_YEARS:
        raise SettingsError(
            source, f"{where}.retention_years", f"must be between 1 and {MAX_RETENTION_YEARS}"
        )
    return value


def _role(role: Role, entry: Any, bases: dict[str, Basis], source: str) -> RolePolicy:
    where = f"roles.{role}"
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    _only(entry, {"label", "scope", "landing", "actions", "grants"}, where, source)
    try:
        scope = Scope(_text(entry, "scope", where, source))
    except ValueError:
        raise SettingsError(source, f"{where}.scope", _one_of("unknown scope", Scope)) from None
    actions = _strings(entry.get("actions", []), f"{where}.actions", source)
    wrong = sorted(set(actions) - ACTIONS)
    if wrong:
        raise SettingsError(source, f"{where}.actions", f"unknown action {wrong[0]!r}")
    grants_raw = entry.get("grants")
    if not isinstance(grants_raw, list) or not grants_raw:
        raise SettingsError(source, f"{where}.grants", "at least one grant is required")
    grants = tuple(
        _grant(item, bases, f"{where}.grants[{index}]", source)
        for index, item in enumerate(grants_raw)
    )
    landing = _text(entry, "landing", where, source)
    if not landing.startswith("/"):
        raise SettingsError(source, f"{where}.landing", "must be a path starting with /")
    return RolePolicy(
        role=role,
        label=_text(entry, "label", where, source),
        scope=scope,
        landing=landing,
        actions=frozenset(actions),
        grants=grants,
    )


def _grant(entry: Any, bases: dict[str, Basis], where: str, source: str) -> Grant:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    _only(entry, {"basis", "kinds", "classes"}, where, source)
    basis = _text(entry, "basis", where, source)
    if basis not in bases:
        raise SettingsError(source, f"{where}.basis", f"unknown basis {basis!r}")
    kinds = _strings(entry.get("kinds", [ANY_KIND]), f"{where}.kinds", source)
    wrong = sorted(set(kinds) - set(ORGANISATION_KINDS) - {ANY_KIND})
    if wrong:
        raise SettingsError(source, f"{where}.kinds", f"unknown organisation kind {wrong[0]!r}")
    classes = _strings(entry.get("classes"), f"{where}.classes", source)
    try:
        parsed = frozenset(Sensitivity(name) for name in classes)
    except ValueError as problem:
        raise SettingsError(source, f"{where}.classes", f"{problem}") from None
    if parsed and Sensitivity.PROCESS not in parsed:
        raise SettingsError(source, f"{where}.classes", "a grant that opens a case needs process")
    return Grant(basis=basis, kinds=frozenset(kinds), classes=parsed)


def _table(raw: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict) or not value:
        raise SettingsError(source, key, "a non-empty table is required")
    return value


def _only(entry: Any, allowed: set[str], where: str, source: str) -> None:
    if not isinstance(entry, dict):
        raise SettingsError(source, where, "must be a table")
    extra = sorted(set(entry) - allowed)
    if extra:
        raise SettingsError(source, f"{where}.{extra[0]}", "unknown key")


def _text(entry: dict[str, Any], key: str, where: str, source: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(source, f"{where}.{key}", "a non-empty text is required")
    return value.strip()


def _flag(entry: dict[str, Any], key: str, default: bool, where: str, source: str) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise SettingsError(source, f"{where}.{key}", "must be true or false")
    return value


def _strings(value: Any, where: str, source: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(source, where, "must be a list of texts")
    return list(value)


def _one_of(problem: str, options: type[StrEnum]) -> str:
    return f"{problem} (one of: {', '.join(str(o) for o in options)})"
