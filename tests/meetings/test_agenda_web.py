"""The agenda over HTTP: the referral form and the open actions on the case page, the
overdue actions on the dashboard, the agenda's forms, and the agenda partial's markup."""

from __future__ import annotations

from collections import Counter
from datetime import date
from html.parser import HTMLParser

from casetafel.access.policy import Actor
from casetafel.app import DOMAINS
from casetafel.meetings import actions, agenda
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Action, AgendaItem, Meeting
from casetafel.organisations.models import Organisation
from casetafel.web.templating import template_config
from tests.conftest import csrf, login
from tests.meetings.conftest import local
from tests.meetings.test_agenda_helpers import (
    MONDAY,
    NEXT_TUESDAY,
    TUESDAY,
    conference,
    new_case,
    set_local,
    standing_triage,
)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.labels: list[str] = []
        self.fields: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids[str(values["id"])] += 1
        if tag == "label" and values.get("for"):
            self.labels.append(str(values["for"]))
        if tag in {"input", "textarea", "select"} and values.get("type") != "hidden":
            self.fields.append(str(values.get("id")))


def check_markup(html: str) -> _Ids:
    """No id twice (axe's duplicate-id rule) and every field with a label."""
    parsed = _Ids()
    parsed.feed(html)
    assert [key for key, n in parsed.ids.items() if n > 1] == []
    assert set(parsed.fields) <= set(parsed.labels)
    return parsed


def overdue_panel(html: str) -> str:
    """The dashboard's overdue-actions section only (other panels name cases too)."""
    start = html.index('<section aria-labelledby="kop-acties-te-laat">')
    return html[start : html.index("</section>", start)]


async def politie_organisation() -> int:
    row = await Organisation.objects().where(Organisation.key == "politie-noord-holland").first()
    return int(row.id)


async def test_the_case_page_refers_to_the_next_triage(users, ctx, client):
    await standing_triage(users, ctx)
    case = await new_case(users.actors["coordinator"], ctx)
    await login(client, "coordinator")
    page = await client.get(f"/casussen/{case.reference}")
    assert page.status_code == 200
    assert "Verwijzen naar de wekelijkse triage" in page.text
    assert "01-12-2026 10:00" in page.text and "sluiten op 30-11-2026 12:00" in page.text
    assert "Geen open acties." in page.text
    check_markup(page.text)

    form = {"kind": "triage", "_csrf_token": csrf(client)}
    refused = await client.post(
        f"/casussen/{case.reference}/verwijzen", data={**form, "question": "x" * 1001}
    )
    assert refused.status_code == 422
    assert "maximaal 1000 tekens" in refused.text
    assert '<details class="ct-disclosure" open>' in refused.text
    check_markup(refused.text)

    done = await client.post(
        f"/casussen/{case.reference}/verwijzen", data={**form, "question": "Woning?"}
    )
    assert done.status_code == 302
    assert done.headers["location"] == f"/casussen/{case.reference}?melding=verwezen"
    page = await client.get(done.headers["location"])
    assert "De casus is verwezen" in page.text
    assert "Op de agenda" in page.text and "Wekelijkse triage Kennemerland" in page.text
    assert "staat al op de agenda" in page.text
    assert "Verwijzen naar de wekelijkse triage" not in page.text
    item = await AgendaItem.objects().first()
    assert item.occurrence_at == local(TUESDAY, 10)

    set_local(MONDAY, 12, 1)
    await login(client, "coordinator")
    later = await client.get(f"/casussen/{case.reference}")
    assert "08-12-2026 10:00" in later.text and "sluiten op 07-12-2026 12:00" in later.text
    assert "Verwijzen naar de wekelijkse triage" in later.text


async def test_partners_see_no_referral_form(users, ctx, client):
    await standing_triage(users, ctx)
    case = await new_case(users.actors["coordinator"], ctx)
    await login(client, "politie")
    page = await client.get(f"/casussen/{case.reference}")
    assert page.status_code == 200 and "Acties" in page.text
    assert "Verwijzen naar" not in page.text
    refused = await client.post(
        f"/casussen/{case.reference}/verwijzen",
        data={"kind": "triage", "question": "", "_csrf_token": csrf(client)},
    )
    assert refused.status_code == 403
    assert await AgendaItem.count() == 0


async def add_action(
    coordinator: Actor, ctx: MeetingContext, meeting_id: int, reference: str, due: date
) -> int:
    await agenda.add_item(coordinator, meeting_id, reference, "", None, ctx)
    item = (await AgendaItem.objects().order_by(AgendaItem.id, ascending=False).first()).id
    await actions.add_action(
        coordinator, item, "Buurtonderzoek doen", await politie_organisation(), None, due
    )
    return int((await Action.objects().order_by(Action.id, ascending=False).first()).id)


async def test_open_actions_show_on_the_case_page_and_are_completed_there(users, ctx, client):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    case = await new_case(coordinator, ctx)
    action_id = await add_action(coordinator, ctx, meeting_id, case.reference, date(2026, 12, 2))

    await login(client, "woning")
    assert (await client.get(f"/casussen/{case.reference}")).status_code == 404

    await login(client, "politie")
    page = await client.get(f"/casussen/{case.reference}")
    assert "Buurtonderzoek doen" in page.text and "Politie" in page.text
    assert "02-12-2026" in page.text and f"/acties/{action_id}/gereed" in page.text
    check_markup(page.text)
    done = await client.post(
        f"/acties/{action_id}/gereed",
        data={"terug": "https://elders.example/", "_csrf_token": csrf(client)},
    )
    assert done.status_code == 302
    assert done.headers["location"] == f"/casussen/{case.reference}?melding=actie-gereed"
    page = await client.get(done.headers["location"])
    assert "De actie is gereedgemeld." in page.text and "Geen open acties." in page.text
    again = await client.post(
        f"/acties/{action_id}/gereed", data={"terug": "/", "_csrf_token": csrf(client)}
    )
    assert again.status_code == 409 and "al gereedgemeld" in again.text


async def test_overdue_actions_show_on_the_dashboard(users, ctx, client):
    coordinator = users.actors["coordinator"]
    meeting_id = await conference(users, ctx, level=None)
    case = await new_case(coordinator, ctx)
    hidden = await new_case(coordinator, ctx, participants=["reclassering-nederland"])
    action_id = await add_action(coordinator, ctx, meeting_id, case.reference, date(2026, 12, 2))
    await add_action(coordinator, ctx, meeting_id, hidden.reference, date(2026, 12, 2))

    await login(client, "coordinator")
    board = await client.get("/")
    assert (
        "Acties over de einddatum" in board.text and "Geen acties over de einddatum." in board.text
    )

    set_local(date(2026, 12, 4), 9)
    await login(client, "coordinator")
    board = await client.get("/")
    assert board.status_code == 200
    panel = overdue_panel(board.text)
    assert case.reference in panel and hidden.reference in panel and "2 dagen" in panel
    check_markup(board.text)
    await login(client, "politie")
    panel = overdue_panel((await client.get("/")).text)
    assert case.reference in panel and hidden.reference not in panel
    done = await client.post(
        f"/acties/{action_id}/gereed", data={"terug": "/", "_csrf_token": csrf(client)}
    )
    assert done.headers["location"] == "/?melding=actie-gereed"
    panel = overdue_panel((await client.get("/")).text)
    assert case.reference not in panel and "Geen acties over de einddatum." in panel


async def test_the_agenda_forms_redirect_to_the_agenda_or_name_the_problem(users, ctx, client):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    case = await new_case(coordinator, ctx)
    await login(client, "coordinator")
    token = csrf(client)
    slot = local(NEXT_TUESDAY, 10).isoformat()
    added = await client.post(
        f"/overleggen/{triage}/agenda",
        data={
            "reference": case.reference,
            "question": "Woning?",
            "occurrence_at": slot,
            "_csrf_token": token,
        },
    )
    assert added.status_code == 302
    assert added.headers["location"] == (
        f"/overleggen/{triage}?melding=geagendeerd#agenda-20261208T0900Z"
    )
    empty = await client.post(
        f"/overleggen/{triage}/agenda",
        data={"reference": "", "occurrence_at": slot, "_csrf_token": token},
    )
    assert empty.status_code == 422 and "Vul het kenmerk van de casus in" in empty.text
    item = (await AgendaItem.objects().first()).id
    base = f"/overleggen/{triage}/agenda/{item}"
    action = {"description": "Bellen", "owner": "", "due_date": "31-12-2026", "_csrf_token": token}
    no_owner = await client.post(f"{base}/acties", data=action)
    assert no_owner.status_code == 422 and "Kies één eigenaar" in no_owner.text
    bad_date = await client.post(
        f"{base}/acties",
        data={
            **action,
            "owner": f"organisation:{await politie_organisation()}",
            "due_date": "31-13",
        },
    )
    assert bad_date.status_code == 422 and "geldige datum" in bad_date.text
    made = await client.post(
        f"{base}/acties",
        data={**action, "owner": f"organisation:{await politie_organisation()}"},
    )
    assert (
        made.status_code == 302
        and "melding=actie#agenda-20261208T0900Z" in made.headers["location"]
    )
    assert (await Action.objects().first()).due_date == date(2026, 12, 31)
    outcome = await client.post(
        f"{base}/uitkomst", data={"outcome": "Besproken", "_csrf_token": token}
    )
    assert outcome.status_code == 302
    early = await client.post(f"{base}/besluit", data={"text": "Doen", "_csrf_token": token})
    assert early.status_code == 422 and "nog niet begonnen" in early.text
    kept = await client.post(f"{base}/verwijderen", data={"_csrf_token": token})
    assert kept.status_code == 409 and "blijft daarom op de agenda" in kept.text
    elsewhere = await client.post(
        f"/overleggen/{triage + 1}/agenda/{item}/omhoog", data={"_csrf_token": token}
    )
    assert elsewhere.status_code == 404

    await login(client, "politie")
    refused = await client.post(f"{base}/omlaag", data={"_csrf_token": csrf(client)})
    assert refused.status_code == 403


def render_agenda(views: list[agenda.AgendaView], meeting: Meeting) -> str:
    folders = [domain.templates for domain in DOMAINS]
    environment = template_config(folders).instance.engine  # type: ignore[union-attr]
    template = environment.get_template("meetings/_agenda.html")
    return "".join(
        template.render(agenda=view, meeting=meeting, csrf_token="token") for view in views
    )


async def test_the_agenda_partial_has_unique_ids_and_masks_for_partners(users, ctx):
    coordinator = users.actors["coordinator"]
    triage = await standing_triage(users, ctx)
    shared = await new_case(coordinator, ctx)
    hidden = await new_case(coordinator, ctx, participants=["reclassering-nederland"])
    for slot in (local(TUESDAY, 10), local(NEXT_TUESDAY, 10)):
        for case in (shared, hidden):
            await agenda.add_item(coordinator, triage, case.reference, "Vraag", slot, ctx)
    item = (await AgendaItem.objects().first()).id
    await actions.add_action(
        coordinator, item, "Buurtonderzoek doen", await politie_organisation(), None, TUESDAY
    )
    meeting = await Meeting.objects().where(Meeting.id == triage).first()
    slots = (local(TUESDAY, 10), local(NEXT_TUESDAY, 10))

    views = [await agenda.agenda_for(coordinator, meeting, slot, ctx) for slot in slots]
    html = render_agenda(views, meeting)
    parsed = check_markup(html)
    assert {"agenda-20261201T0900Z", "agenda-20261208T0900Z"} <= set(parsed.ids)
    assert html.count('action="/overleggen/') > 10 and "Casus agenderen" in html
    assert shared.reference in html and hidden.reference in html

    views = [await agenda.agenda_for(users.actors["politie"], meeting, slot, ctx) for slot in slots]
    html = render_agenda(views, meeting)
    check_markup(html)
    assert 'action="/overleggen/' not in html and "Casus agenderen" not in html
    assert hidden.reference not in html and "[afgeschermd]" in html
    assert shared.reference in html and "Buurtonderzoek doen" in html
    assert f"/acties/{(await Action.objects().first()).id}/gereed" in html
