"""Creating accounts: bad input is refused with the field named, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from casetafel.access.policy import Role
from casetafel.accounts.models import User
from casetafel.accounts.service import AccountError, create_user
from tests.conftest import PASSWORD

GOOD: dict[str, Any] = {
    "username": "nieuwe.gebruiker",
    "password": PASSWORD,
    "display_name": "Nieuwe Gebruiker",
    "email": "nieuw@example.test",
    "role": Role.COORDINATOR,
    "organisation_key": "zvh-kennemerland",
    "region_code": "KEN",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "A"}, "username"),
        ({"password": "kort"}, "password"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "n" * 201}, "display_name"),
        ({"email": "geen-adres"}, "email"),
        ({"email": "a@" + "b" * 260 + ".nl"}, "email"),
        ({"organisation_key": "bestaat-niet"}, "organisation"),
        ({"region_code": "XYZ"}, "region"),
        # Kennemerland's ZVH with a coordinator of Amsterdam-Amstelland.
        ({"region_code": "AMS"}, "region"),
        ({"role": Role.MUNICIPALITY}, "organisation"),
    ],
)
async def test_bad_account_input_names_the_field_and_stores_nothing(change, field, directory):
    with pytest.raises(AccountError) as failure:
        await create_user(**{**GOOD, **change})
    assert failure.value.field == field
    assert await User.count() == 0


async def test_a_good_account_is_stored(directory):
    user = await create_user(**GOOD)
    assert user.username == "nieuwe.gebruiker" and user.region is not None
