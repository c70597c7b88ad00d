"""AVG art. 15 and the Wgs single contact point: for one subject, found by exact name and
birth date over the cases of every region, the data held per case, the organisations it is
shared with (on which basis, for which purpose) and every read and change from the audit
log by organisation and date. Only the privacy officer produces it; every production is
audit-logged per case, without content."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor, current, role_labels
from casetafel.cases import service
from casetafel.cases.fields import EDITABLE_FIELDS, FIELD_LABELS, MAX_NAME
from casetafel.cases.models import Case, CaseCategory, CaseParticipant
from casetafel.cases.presentation import display
from casetafel.cases.vocabulary import OUTCOMES, STATUSES
from casetafel.errors import Forbidden, ValidationFailed
from casetafel.organisations.service import Directory

# What each audit action means to the subject; reads in lists name the case in the details.
ACTION_LABELS = {
    "case.create": "Casus geregistreerd",
    "case.read": "Casus ingezien",
    "case.update": "Gegevens gewijzigd",
    "case.close": "Casus afgesloten",
    "case.denied": "Poging tot inzage geweigerd",
    "case.escalate": "Opgeschaald",
    "case.deescalate": "Afgeschaald",
    "case.progress": "Overleg vastgelegd",
    "case.escalations.read": "Op- en afschalingen ingezien",
    "case.actions.read": "Acties ingezien",
    "case.anonymise": "Persoonsgegevens verwijderd na de bewaartermijn",
    "case.retention_extended": "Bewaartermijn verlengd",
    "action.add": "Actie vastgelegd",
    "action.complete": "Actie gereedgemeld",
    "agenda.add": "Geagendeerd voor een overleg",
    "agenda.refer": "Aangemeld voor een overleg",
    "agenda.move": "Agendapunt verplaatst",
    "agenda.remove": "Van de agenda gehaald",
    "agenda.outcome": "Uitkomst van een overleg vastgelegd",
    "agenda.decision": "Besluit van een overleg vastgelegd",
    "subject.overview": "Overzicht voor een inzageverzoek gemaakt",
}
LISTED = "In een overzicht van casussen getoond"
OTHER = "Overige verwerking"
SYSTEM = "casetafel (automatisch)"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FieldLine:
    label: str
    value: str


@dataclass(frozen=True)
class Sharing:
    organisation: str
    basis: str
    purpose: str


@dataclass(frozen=True)
class Processing:
    at: datetime
    organisation: str
    role: str
    action: str


@dataclass(frozen=True)
class CaseOverview:
    reference: str
    region: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    fields: list[FieldLine]
    sharing: list[Sharing]
    processing: list[Processing] = field(default_factory=list)


@dataclass(frozen=True)
class SubjectOverview:
    name: str
    birth_date: date
    produced_at: datetime
    produced_by: str
    cases: list[CaseOverview]

    def as_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, default=_iso).encode()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return clock.local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def require_privacy_officer(actor: Actor) -> None:
    if not actor.may("subject.overview"):
        raise Forbidden("Alleen de privacyfunctionaris maakt een overzicht voor een inzageverzoek.")


def parse_request(name: str, birth_date: str) -> tuple[str, date]:
    """The subject as asked for: both required; else ValidationFailed in Dutch."""
    errors: dict[str, str] = {}
    wanted = _SPACES.sub(" ", name).strip()
    if not wanted:
        errors["naam"] = "Vul de naam van de betrokkene in, precies zoals geregistreerd."
    elif len(wanted) > MAX_NAME:
        errors["naam"] = f"Maximaal {MAX_NAME} tekens."
    born = _date(birth_date.strip())
    if born is None:
        errors["geboortedatum"] = "Vul de geboortedatum van de betrokkene in (dd-mm-jjjj)."
    if errors:
        raise ValidationFailed(errors)
    assert born is not None
    return wanted, born


def _date(text: str) -> date | None:
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d-%m-%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


async def produce(
    actor: Actor, name: str, birth_date: date, directory: Directory, form: str
) -> SubjectOverview:
    """The overview (`form`: page, json or pdf, for the audit log). No match: no cases."""
    require_privacy_officer(actor)
    cases = await _matching_cases(name, birth_date)
    overviews = [await _case_overview(case, directory) for case in cases]
    processing = await _processing([c.id for c in cases], [c.reference for c in cases], directory)
    for overview in overviews:
        overview.processing.extend(processing.get(overview.reference, []))
    async with db.transaction():
        for case in cases:
            await audit.record(
                actor,
                "subject.overview",
                case_id=case.id,
                case_reference=case.reference,
                details={"form": form},
            )
        if not cases:
            await audit.record(actor, "subject.overview", details={"form": form, "cases": 0})
    return SubjectOverview(
        name=name,
        birth_date=birth_date,
        produced_at=clock.now(),
        produced_by=f"{actor.display_name} ({actor.role_label}, {actor.organisation_name})",
        cases=overviews,
    )


async def _matching_cases(name: str, birth_date: date) -> list[Case]:
    """Cases of every region with this birth date and this name (case and spacing aside)."""
    wanted = name.casefold()
    found = await Case.objects().where(Case.subject_birth_date == birth_date).order_by(Case.id)
    return [
        case
        for case in found
        if case.subject_name and _SPACES.sub(" ", case.subject_name).strip().casefold() == wanted
    ]


async def _case_overview(case: Case, directory: Directory) -> CaseOverview:
    categories = [
        row["category"]
        for row in await CaseCategory.select(CaseCategory.category).where(
            CaseCategory.case == case.id
        )
    ]
    links = await CaseParticipant.select(
        CaseParticipant.organisation, CaseParticipant.legal_basis, CaseParticipant.purpose
    ).where(CaseParticipant.case == case.id)
    participants = [
        service.Participation(row["organisation"], row["legal_basis"], row["purpose"])
        for row in links
    ]
    values = service.field_values(case, categories, participants, directory)
    bases = current().bases
    status = STATUSES.get(case.status, case.status)
    if case.outcome:
        status += f" ({OUTCOMES.get(case.outcome, case.outcome)})"
    return CaseOverview(
        reference=case.reference,
        region=directory.regions[case.region].name if case.region in directory.regions else "",
        status=status,
        created_at=case.created_at,
        closed_at=case.closed_at,
        fields=[
            FieldLine(FIELD_LABELS[name], display(name, values[name], directory))
            for name in EDITABLE_FIELDS
        ],
        sharing=[
            Sharing(
                organisation=_organisation(directory, p.organisation_id),
                basis=bases[p.legal_basis].label if p.legal_basis in bases else "—",
                purpose=p.purpose or "—",
            )
            for p in participants
        ],
    )


async def _processing(
    case_ids: list[int], references: list[str], directory: Directory
) -> dict[str, list[Processing]]:
    """Every audit event of these cases, and the list views that showed them, oldest first."""
    if not case_ids:
        return {}
    marks = ", ".join("{}" for _ in case_ids)
    likes = " OR ".join("CAST(a.details AS TEXT) LIKE {}" for _ in references)
    rows = await db.fetch(
        "SELECT a.at, a.action, a.role, a.case_reference, a.details, u.organisation"
        " FROM audit_event a LEFT JOIN app_user u ON u.id = a.user_id"
        f" WHERE a.case_id IN ({marks}) OR (a.case_id IS NULL AND ({likes}))"
        " ORDER BY a.seq",
        *case_ids,
        *[f'%"{reference}"%' for reference in references],
    )
    roles = role_labels()
    found: dict[str, list[Processing]] = {}
    for row in rows:
        if row["case_reference"] in references:
            shown_in = [row["case_reference"]]
            action = ACTION_LABELS.get(row["action"], OTHER)
        else:
            details = row["details"]
            parsed = json.loads(details) if isinstance(details, str) else details
            shown_in = [r for r in parsed.get("references", []) if r in references]
            action = LISTED
        for reference in shown_in:
            found.setdefault(reference, []).append(
                Processing(
                    at=_instant(row["at"]),
                    organisation=_organisation(directory, row["organisation"]),
                    role=roles.get(row["role"], "systeem"),
                    action=action,
                )
            )
    return found


def _organisation(directory: Directory, organisation_id: int | None) -> str:
    if organisation_id is None:
        return SYSTEM
    found = directory.organisations.get(organisation_id)
    return found.name if found else "onbekende organisatie"


def _instant(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
