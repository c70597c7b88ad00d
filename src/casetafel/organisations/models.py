from typing import TYPE_CHECKING

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Serial, Varchar
from piccolo.table import Table


class Region(Table, tablename="region"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    code = Varchar(length=10, unique=True)
    name = Varchar(length=100)
    zvh_name = Varchar(length=200)
    mailbox = Varchar(length=254)


class Municipality(Table, tablename="municipality"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    cbs_code = Varchar(length=6, unique=True)
    name = Varchar(length=100)
    region = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)


class Organisation(Table, tablename="organisation"):
    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    key = Varchar(length=80, unique=True)
    name = Varchar(length=200)
    kind = Varchar(length=30, index=True)
    # A regional organisation belongs to a region; a national one (the regiegroep) does not.
    region = ForeignKey(references=Region, null=True, on_delete=OnDelete.restrict)
    # Set for organisations of kind "gemeente": the municipality they are.
    municipality = ForeignKey(references=Municipality, null=True, on_delete=OnDelete.restrict)
    national = Boolean(default=False)


class Person(Table, tablename="person"):
    """A participant who receives invites but may not log in."""

    if TYPE_CHECKING:  # Piccolo adds this primary key itself
        id = Serial(primary_key=True)

    name = Varchar(length=200)
    email = Varchar(length=254)
    function = Varchar(length=200, default="")
    organisation = ForeignKey(references=Organisation, null=False, on_delete=OnDelete.restrict)
    # Persons are never deleted (meetings refer to them); a deactivated one is not offered.
    active = Boolean(default=True)
    version = Integer(default=1)
