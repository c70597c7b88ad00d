"""Two cases of one subject, closed three years ago by the e2e coordinator: run in a process
of its own (`python -m tests.e2e.retention_scene`) against the live server's database, with
an injected clock. Prints the references."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from casetafel import clock, db
from casetafel.access.policy import install, load_policy
from casetafel.accounts.models import User
from casetafel.accounts.service import actor_for
from casetafel.cases import service
from casetafel.cases.vocabulary import CATEGORIES
from casetafel.escalation.setup import start
from casetafel.ladder import load_ladder
from casetafel.notifications.service import configure_mail
from casetafel.organisations.service import load_directory
from casetafel.settings import load_settings
from tests.conftest import velsen_case

CLOSED = datetime.now(UTC).replace(year=datetime.now(UTC).year - 3)


async def main() -> None:
    settings = load_settings()
    db.configure(settings)
    install(load_policy(settings.config_dir, CATEGORIES))
    start(settings.config_dir)
    configure_mail(settings.base_url)
    await db.start_pool(settings)
    try:
        directory = await load_directory()
        ladder = load_ladder(settings.config_dir)
        user = await User.objects().where(User.username == "e2e.coordinator").first()
        assert user is not None
        coordinator = await actor_for(user)
        clock.set_clock(lambda: CLOSED)
        for _ in range(2):
            values = velsen_case(
                subject_name="E. Browsertest (fictief)",
                subject_birth_date="1975-02-03",
                categories=["no_fixed_abode"],
                notes="Verblijft tijdelijk bij een kennis",
            )
            case = await service.create_case(coordinator, values, directory, ladder)
            await service.close_case(
                coordinator, case.reference, "returned_home", "", directory, ladder
            )
            print(case.reference)
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
