from typing import TYPE_CHECKING

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from casetafel.organisations.models import Organisation, Region


class User(Table, tablename="app_user"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    username = Varchar(length=80, unique=True)
    display_name = Varchar(length=200)
    email = Varchar(length=254)
    password_hash = Varchar(length=255)
    role = Varchar(length=30)
    organisation = ForeignKey(references=Organisation, null=False, on_delete=OnDelete.restrict)
    # The region a coordinator works for; null for national roles.
    region = ForeignKey(references=Region, null=True, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    created_at = Timestamptz()
    # Login throttle: after too many failures the account waits until locked_until.
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    """A web login. Only the SHA-256 of the cookie value is stored."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    """A bearer token for the JSON API. Only the SHA-256 of the token is stored."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
