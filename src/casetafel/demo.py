"""Demo data: the Kennemerland region with a user per role and about 60 cases, and a bulk
generator of realistic cases for benchmarks (`casetafel demo --cases N`)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from casetafel import clock, demo_meetings
from casetafel.access.policy import Actor, Role
from casetafel.accounts.models import User
from casetafel.accounts.service import actor_for, create_user
from casetafel.cases import service as cases
from casetafel.cases.models import Case
from casetafel.cases.vocabulary import CATEGORIES, LEGAL_FRAMEWORKS, OUTCOMES
from casetafel.escalation import moves
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.setup import load_config
from casetafel.escalation.sweep import sweep
from casetafel.organisations.config import load_regions
from casetafel.organisations.service import load_directory, sync_regions
from casetafel.settings import Settings

# DEMO ONLY: every demo user has this password.
DEMO_PASSWORD = "casetafel-demo-2026"  # noqa: S105

DEMO_USERS = [
    # username, display name, role, organisation key
    ("coordinator", "Sanne Bakker", Role.COORDINATOR, "zvh-kennemerland"),
    ("gemeente.velsen", "Pieter de Groot", Role.MUNICIPALITY, "gemeente-gm0453"),
    ("gemeente.haarlem", "Fatima El Amrani", Role.MUNICIPALITY, "gemeente-gm0392"),
    ("politie", "Kees Visser", Role.PARTNER, "politie-noord-holland"),
    ("reclassering", "Noor Jansen", Role.PARTNER, "reclassering-nederland"),
    ("woningcorporatie", "Tom Smit", Role.PARTNER, "woonwaard"),
    ("regiegroep", "Marieke van Dijk", Role.REGIEGROEP, "regiegroep"),
    ("beheer", "Ahmed Yilmaz", Role.FUNCTIONAL_ADMIN, "zvh-kennemerland"),
    ("privacy", "Ingrid Mulder", Role.PRIVACY_OFFICER, "zvh-kennemerland"),
]

LOGIN_HELP = f"demo logins (password: {DEMO_PASSWORD}):\n" + "\n".join(
    f"  {username:<18} {role.value}" for username, _, role, _ in DEMO_USERS
)

INITIALS = "ABCDEFGHJKLMNPRSTW"
SURNAMES = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
]
PARTNER_KEYS = [
    "politie-noord-holland",
    "om-noord-holland",
    "reclassering-nederland",
    "svg",
    "ldh-jr",
    "pi-haarlem",
    "fpc-dr-s-van-mesdag",
    "ldh-opvang-haarlem",
    "woonwaard",
    "ggz-ingeest",
]
STATE_CHOICES = ["unknown", "missing", "in_progress", "arranged"]


async def load_demo(settings: Settings, *, only_if_empty: bool) -> bool:
    """Load users and about 60 cases. Returns False when there were cases already."""
    await sync_regions(load_regions(settings.config_dir))
    if only_if_empty and await Case.count() > 0:
        return False
    await _users()
    await _cases(settings)
    await demo_meetings.load(settings, load_config(settings.config_dir))
    # Act on what is due already (BIJ notices that should have come), as the app would.
    await sweep(load_config(settings.config_dir))
    return True


async def _users() -> None:
    for username, name, role, organisation in DEMO_USERS:
        if await User.exists().where(User.username == username):
            continue
        await create_user(
            username=username,
            password=DEMO_PASSWORD,
            display_name=name,
            email=f"{username}@demo.casetafel.example",
            role=role,
            organisation_key=organisation,
            region_code=None if organisation == "regiegroep" else "KEN",
        )


async def _cases(settings: Settings, count: int = 60) -> None:
    rng = random.Random(42)
    directory = await load_directory()
    config = load_config(settings.config_dir)
    ladder = config.ladder
    user = await User.objects().where(User.username == "coordinator").first()
    assert user is not None
    actor = await actor_for(user)
    # Only Kennemerland's: the database may hold other regions too.
    municipalities = [
        m.cbs_code for m in directory.municipalities.values() if m.region == actor.region_id
    ]
    today = clock.today()
    for index in range(count):
        categories = rng.sample(list(CATEGORIES), k=rng.choice([1, 1, 2]))
        certainty = rng.choices(["known", "expected", "unknown", "immediate"], [6, 3, 1, 1])[0]
        release = None if certainty == "unknown" else today + timedelta(days=rng.randint(-10, 120))
        if certainty == "immediate":
            release = today
        participants = sorted(
            set(rng.sample(PARTNER_KEYS, k=rng.randint(2, 4))) | {"reclassering-nederland"}
        )
        home = rng.choice(municipalities)
        values: dict[str, Any] = {
            "subject_name": f"{rng.choice(INITIALS)}. {rng.choice(SURNAMES)} (fictief)",
            "subject_birth_date": today - timedelta(days=rng.randint(20 * 365, 60 * 365)),
            "categories": categories,
            "home_municipality": home,
            "receiving_municipality": rng.choice(municipalities) if rng.random() < 0.2 else None,
            "legal_framework": rng.choice(list(LEGAL_FRAMEWORKS)),
            "release_date": release,
            "release_certainty": certainty,
            "bij_notice_date": today - timedelta(days=rng.randint(1, 50))
            if set(categories) & {"sex_offender", "violent_offender"} and rng.random() < 0.6
            else None,
            "process_lead": f"gemeente-{home.lower()}",
            "case_lead": rng.choice(
                ["reclassering-nederland", "pi-haarlem", f"gemeente-{home.lower()}"]
            ),
            "participants": participants,
            "notes": "",
        }
        case = await cases.create_case(actor, values, directory, ladder)
        conditions = {
            f"{name}_state": rng.choice(STATE_CHOICES)
            for name in ("id_document", "housing", "income", "debts", "care")
        }
        await cases.update_case(actor, case.reference, conditions, directory, ladder)
        await _place_on_level(actor, case.reference, rng, config, directory)
        if index % 15 == 14:
            await cases.close_case(
                actor, case.reference, rng.choice(list(OUTCOMES)), "", directory, ladder
            )


async def _place_on_level(
    actor: Actor, reference: str, rng: random.Random, config: EscalationConfig, directory: Any
) -> None:
    """Escalate some demo cases by hand, with an obstacle, as a coordinator would."""
    levels = config.ladder.levels
    target = rng.choices(range(len(levels)), [6, 3, 1])[0]
    obstacles = [key for key in config.obstacles if key != "other"]
    for position in range(1, target + 1):
        case = await cases.get_case(actor, reference, directory, config.ladder, log_read=False)
        if case.level == levels[-1].key or config.ladder.position(case.level) >= position:
            continue
        await moves.escalate(
            actor,
            reference,
            to_level=levels[position].key,
            obstacle=rng.choice(obstacles),
            note="Demodata: de vorige tafel vond geen oplossing.",
            expected_version=None,
            config=config,
            directory=directory,
        )


async def bulk_load(settings: Settings, count: int) -> float:
    from casetafel.bulk import generate

    await sync_regions(load_regions(settings.config_dir))
    seconds: float = await generate(settings, count)
    return seconds
