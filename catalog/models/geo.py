"""Countries and the organisations that take part in training."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import TimestampMixin, str_enum
from catalog.extensions import db


class Region(StrEnum):
    AFRICA = "Africa"
    AMERICAS = "Americas"
    ASIA = "Asia"
    EUROPE = "Europe"
    OCEANIA = "Oceania"
    ANTARCTICA = "Antarctica"


class Country(db.Model):
    """An ISO 3166-1 country; the code is the key every other table uses."""

    __tablename__ = "countries"
    __table_args__ = (CheckConstraint("length(code) = 2", name="code_length"),)

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[Region] = mapped_column(str_enum(Region, "region"), index=True)

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class OrganisationKind(StrEnum):
    TRAINING_CENTRE = "training_centre"
    MINISTRY = "ministry"
    PERMANENT_MISSION = "permanent_mission"
    UN_OFFICE = "un_office"
    REGIONAL_ORGANISATION = "regional_organisation"
    GOVERNMENT_AGENCY = "government_agency"
    OTHER = "other"


class Organisation(TimestampMixin, db.Model):
    """A training centre, ministry, UN office or regional body such as the African Union.

    What it does in a given offering (host, trainer provider, funder) is recorded
    per offering, because roles change over the years.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "kind"))
    # Regional organisations such as the African Union have no single country.
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)

    country: Mapped[Country | None] = relationship()

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"
