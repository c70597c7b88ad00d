"""Being invited is not access to the cases (issue 10, defect 4a): an attendee sees a
meeting's title, place and case references only when they may see every case on its agenda;
otherwise its times under a neutral title. The same on the meetings list, the meeting page,
the case page and the personal calendar feed."""

from __future__ import annotations

from datetime import UTC, date

import pytest
from icalendar import Calendar

from casetafel.cases import service as cases
from casetafel.meetings import feeds, service
from casetafel.organisations.models import Organisation, Person
from tests.conftest import login, velsen_case
from tests.meetings.conftest import local

TUESDAY = date(2026, 12, 1)
PLACEHOLDER = "Overleg (geen toegang tot de casus)"
OWN_PLACE = "Stadhuis Velsen, kamer 3"
OTHER_PLACE = "Wijkbureau Zeeweg 7"
OTHER_VIDEO = "https://video.example.test/zeeweg"


async def wim() -> int:
    """A person of the housing corporation, who cannot log in and has a feed."""
    organisation = await Organisation.objects().where(Organisation.key == "woonwaard").first()
    person = Person(name="Wim Woning", email="wim@example.test", organisation=organisation.id)
    await person.save()
    return person.id


@pytest.fixture
async def setting(users, directory, ladder, ctx):  # type: ignore[no-untyped-def]
    """The housing corporation takes part in case `own`, not in case `other`; its user
    and its person are invited to a conference about each, the police to both."""
    coordinator = users.actors["coordinator"]
    own = await cases.create_case(
        coordinator,
        velsen_case(participants=["woonwaard", "politie-noord-holland"]),
        directory,
        ladder,
    )
    other = await cases.create_case(
        coordinator, velsen_case(participants=["politie-noord-holland"]), directory, ladder
    )
    person = await wim()
    invited = [
        service.AttendeeChoice("chair", user_id=coordinator.user_id),
        service.AttendeeChoice("required", user_id=users.actors["woning"].user_id),
        service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        service.AttendeeChoice("optional", person_id=person),
    ]

    async def plan(title, hour, place, video, *agenda):  # type: ignore[no-untyped-def]
        draft = service.MeetingDraft(
            kind="casusoverleg",
            title=title,
            start=local(TUESDAY, hour),
            end=local(TUESDAY, hour + 1),
            attendees=invited,
            cases=[service.AgendaEntry(case.reference) for case in agenda],
            location=place,
            video_url=video,
        )
        return (await service.plan_meeting(coordinator, draft, ctx)).meeting_id

    return {
        "own": own,
        "other": other,
        "person": person,
        "own_meeting": await plan(f"Woonoverleg {own.reference}", 10, OWN_PLACE, "", own),
        "other_meeting": await plan(
            f"Huisvestingsoverleg {other.reference}", 13, OTHER_PLACE, OTHER_VIDEO, other
        ),
    }


def hidden_of(setting) -> list[str]:  # type: ignore[no-untyped-def]
    other = setting["other"].reference
    return [other, f"Huisvestingsoverleg {other}", OTHER_PLACE, OTHER_VIDEO]


async def test_the_meetings_list_hides_what_the_attendee_may_not_see(setting, client):
    await login(client, "woning")
    page = await client.get("/overleggen")
    assert page.status_code == 200
    assert f"Woonoverleg {setting['own'].reference}" in page.text
    assert PLACEHOLDER in page.text
    for text in hidden_of(setting):
        assert text not in page.text


async def test_the_police_taking_part_in_both_sees_both(setting, client):
    await login(client, "politie")
    page = await client.get("/overleggen")
    assert f"Huisvestingsoverleg {setting['other'].reference}" in page.text
    assert PLACEHOLDER not in page.text
    detail = await client.get(f"/overleggen/{setting['other_meeting']}")
    assert OTHER_PLACE in detail.text and OTHER_VIDEO in detail.text


async def test_the_meeting_page_shows_only_the_times(setting, client):
    await login(client, "woning")
    own = await client.get(f"/overleggen/{setting['own_meeting']}")
    assert own.status_code == 200
    assert f"Woonoverleg {setting['own'].reference}" in own.text and OWN_PLACE in own.text
    other = await client.get(f"/overleggen/{setting['other_meeting']}")
    assert other.status_code == 200
    assert PLACEHOLDER in other.text and "dinsdag 1 december 2026, 13:00-14:00" in other.text
    assert "Vraag de organisator waar het overleg is." in other.text
    for text in hidden_of(setting):
        assert text not in other.text


def feed_events(raw: bytes) -> dict[str, dict[str, str]]:
    """SUMMARY, LOCATION and DESCRIPTION per DTSTART hour (UTC), unfolded."""
    found: dict[str, dict[str, str]] = {}
    for event in Calendar.from_ical(raw).walk("VEVENT"):
        start = event.decoded("DTSTART")
        found[f"{start.astimezone(UTC):%H}"] = {
            name: str(event.get(name, "")) for name in ("SUMMARY", "LOCATION", "DESCRIPTION")
        }
    return found


async def test_the_feed_of_a_user_shows_only_the_times(setting, users, ctx, client):
    token = await feeds.create_feed(users.actors["woning"])
    response = await client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    unfolded = response.content.replace(b"\r\n ", b"").decode()
    for text in hidden_of(setting):
        assert text not in unfolded
    events = feed_events(response.content)
    own, other = events["09"], events["12"]  # 10:00 and 13:00 in Amsterdam are UTC 09, 12
    assert own["SUMMARY"] == f"Woonoverleg {setting['own'].reference}"
    assert own["LOCATION"] == OWN_PLACE and setting["own"].reference in own["DESCRIPTION"]
    assert other["SUMMARY"] == PLACEHOLDER and other["LOCATION"] == ""
    assert "geen toegang" in other["DESCRIPTION"]


async def test_the_feed_of_a_person_follows_their_organisation(setting, users, ctx):
    token = await feeds.create_person_feed(users.actors["coordinator"], setting["person"])
    raw = await feeds.feed_calendar(token, ctx)
    assert raw is not None
    unfolded = raw.replace(b"\r\n ", b"").decode()
    for text in hidden_of(setting):
        assert text not in unfolded
    assert f"Woonoverleg {setting['own'].reference}" in unfolded


async def test_the_case_page_hides_a_meeting_with_another_case(
    setting, users, client, directory, ladder, ctx
):
    """On the page of a case it may see, the housing corporation does not learn the title
    of a meeting that also discusses a case it may not see."""
    coordinator = users.actors["coordinator"]
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title=f"Gezamenlijk overleg {setting['other'].reference}",
        start=local(TUESDAY, 15),
        end=local(TUESDAY, 16),
        attendees=[service.AttendeeChoice("chair", user_id=coordinator.user_id)],
        cases=[
            service.AgendaEntry(setting["own"].reference),
            service.AgendaEntry(setting["other"].reference),
        ],
        location=OTHER_PLACE,
    )
    await service.plan_meeting(coordinator, draft, ctx)
    await login(client, "woning")
    page = await client.get(f"/casussen/{setting['own'].reference}")
    assert page.status_code == 200
    assert "Op de agenda" in page.text and PLACEHOLDER in page.text
    assert f"Woonoverleg {setting['own'].reference}" in page.text
    assert setting["other"].reference not in page.text
