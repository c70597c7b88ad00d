"""Who may see what: roles, the sensitivity class of every case field, and legal bases.

The rules are data so that the need-to-know issue can refine them per legal basis without
touching the services that apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    MUNICIPALITY = "municipality"
    PARTNER = "partner"
    REGIEGROEP = "regiegroep"
    FUNCTIONAL_ADMIN = "functional_admin"
    PRIVACY_OFFICER = "privacy_officer"


ROLE_LABELS = {
    Role.COORDINATOR: "Coördinator Zorg- en Veiligheidshuis",
    Role.MUNICIPALITY: "Gemeente",
    Role.PARTNER: "Ketenpartner",
    Role.REGIEGROEP: "Landelijke regiegroep",
    Role.FUNCTIONAL_ADMIN: "Functioneel beheerder",
    Role.PRIVACY_OFFICER: "Privacyfunctionaris",
}


class Sensitivity(StrEnum):
    PROCESS = "process"  # reference, level, dates, municipalities, organisations
    IDENTITY = "identity"  # the subject's name and birth date
    OFFENCE = "offence"  # categories, legal framework, BIJ notice (art. 18b Pbw, BIJ-regeling)
    BASIC_CONDITIONS = "basic_conditions"  # the five basisvoorwaarden (art. 18a Pbw)
    CASEWORK = "casework"  # free-text notes of the professionals


# Partner organisations that receive offence information under art. 18b Pbw.
OFFENCE_PARTNER_KINDS = frozenset({"om", "politie", "reclassering", "dji", "forensische_zorg"})

_ALL = frozenset(Sensitivity)


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
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def can_see_cases(self) -> bool:
        return self.role not in {Role.FUNCTIONAL_ADMIN, Role.PRIVACY_OFFICER}

    @property
    def can_create_cases(self) -> bool:
        return self.role in {Role.COORDINATOR, Role.MUNICIPALITY}

    @property
    def can_edit_cases(self) -> bool:
        return self.role in {Role.COORDINATOR, Role.MUNICIPALITY}

    @property
    def can_see_audit(self) -> bool:
        return self.role is Role.PRIVACY_OFFICER

    @property
    def can_admin(self) -> bool:
        return self.role is Role.FUNCTIONAL_ADMIN


def visible_classes(actor: Actor) -> frozenset[Sensitivity]:
    if actor.role in {Role.COORDINATOR, Role.MUNICIPALITY}:
        return _ALL
    if actor.role is Role.PARTNER:
        if actor.organisation_kind in OFFENCE_PARTNER_KINDS:
            return _ALL
        return _ALL - {Sensitivity.OFFENCE}
    if actor.role is Role.REGIEGROEP:
        return frozenset({Sensitivity.PROCESS})
    return frozenset()


def legal_basis(actor: Actor) -> str:
    """The legal basis on which this actor processes case data, for the audit log."""
    if actor.role is Role.COORDINATOR:
        return "Wgs (Zorg- en Veiligheidshuis)"
    if actor.role is Role.MUNICIPALITY:
        return "art. 18a Pbw; BIJ-regeling (art. 11a Bjsg)"
    if actor.role is Role.PARTNER:
        if actor.organisation_kind in OFFENCE_PARTNER_KINDS:
            return "art. 18b Pbw; Wgs"
        return "Wgs (Zorg- en Veiligheidshuis)"
    if actor.role is Role.REGIEGROEP:
        return "Bestuurlijk Akkoord (gepseudonimiseerd)"
    if actor.role is Role.PRIVACY_OFFICER:
        return "AVG art. 39 (toezicht)"
    return "beheer"
