"""Reference data for countries, loaded from the ISO 3166 list shipped with the code."""

import csv
from dataclasses import dataclass
from importlib.resources import files

from sqlalchemy import select

from catalog.extensions import db
from catalog.models import Country, Region


@dataclass(frozen=True)
class CountryRow:
    code: str
    name: str
    region: Region


def shipped_countries() -> list[CountryRow]:
    """Every ISO 3166-1 country in ``catalog/data/countries.csv``."""
    text = files("catalog").joinpath("data/countries.csv").read_text(encoding="utf-8")
    return [
        CountryRow(row["code"], row["name"], Region(row["region"]))
        for row in csv.DictReader(text.splitlines())
    ]


def sync_countries() -> tuple[int, int]:
    """Insert missing countries and update changed names or regions.

    Returns (added, updated). Countries no longer in the list are kept: other
    rows may point at them. The caller commits.
    """
    existing = {country.code: country for country in db.session.scalars(select(Country))}
    added = updated = 0
    for row in shipped_countries():
        country = existing.get(row.code)
        if country is None:
            db.session.add(Country(code=row.code, name=row.name, region=row.region))
            added += 1
        elif (country.name, country.region) != (row.name, row.region):
            country.name, country.region = row.name, row.region
            updated += 1
    return added, updated
