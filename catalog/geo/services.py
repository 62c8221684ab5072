"""Reference data for countries, loaded from the ISO 3166 list shipped with the code,
and country names in the reader's language."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from babel import Locale
from flask_babel import get_locale
from sqlalchemy import select

from catalog.extensions import db
from catalog.models import Country, Region

# The countries table holds the ISO 3166 English short names (the UN's spelling,
# "Viet Nam", "Türkiye"); other languages take CLDR's names through Babel.
STORED_LANGUAGE = "en"


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


# --- Names in the reader's language -------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped_names() -> dict[str, str]:
    # ``sync_countries`` writes these names to the table: reading them here spares
    # pages that hold only codes one query per country.
    return {row.code: row.name for row in shipped_countries()}


@lru_cache(maxsize=16)
def _territories(locale: str) -> tuple[str, dict[str, str]]:
    """(language, CLDR territory names) of a locale such as "fr" or "fr_CA"."""
    parsed = Locale.parse(locale)
    return parsed.language, dict(parsed.territories)


def _locale_text(locale: Locale | str | None) -> str:
    if locale is None:
        locale = get_locale()
    return str(locale) if locale else STORED_LANGUAGE


def _stored_name(code: str) -> str | None:
    name = _shipped_names().get(code)
    if name is None:
        country = db.session.get(Country, code)
        name = country.name if country is not None else None
    return name


def country_name(
    country: Country | str | None,
    locale: Locale | str | None = None,
    *,
    default: str | None = None,
) -> str:
    """A country's name in ``locale`` (the current one by default): "Ouganda" for
    ``UG`` in French, the stored name in English.

    ``country`` is a ``Country`` or its ISO 3166 alpha-2 code. ``default`` is the stored
    English name when the caller already has it (from a query), which spares a look-up;
    the stored name is also the fallback for a code CLDR does not know. A code that is
    in no list is shown as it is (CLDR's "ZZ", "Unknown Region", is no country of ours);
    an empty country gives ``default`` or "".
    """
    if not country:
        return default or ""
    if isinstance(country, Country):
        code, stored = country.code, country.name
    else:
        code = country.upper()
        stored = default or _stored_name(code)
        if stored is None:
            return country
    language, territories = _territories(_locale_text(locale))
    if language != STORED_LANGUAGE:
        return territories.get(code) or stored
    return stored


def country_names(
    codes: Iterable[str | None], locale: Locale | str | None = None
) -> dict[str, str]:
    """Code -> name in ``locale`` for the codes that are in the countries table (one
    query, however many codes; unknown codes are left out)."""
    codes = sorted({code for code in codes if code})
    if not codes:
        return {}
    rows = db.session.execute(select(Country.code, Country.name).where(Country.code.in_(codes)))
    return {code: country_name(code, locale, default=name) for code, name in rows}


def name_sort_key(name: str) -> tuple[str, str]:
    """Sort key for names in any of the site's languages: case and accents ignored, so
    "Égypte" comes between "Danemark" and "Espagne", not after "Zimbabwe"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare, name


def sorted_by_name(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(code, name) pairs in the order of their names, for lists people read."""
    return sorted(pairs, key=lambda pair: name_sort_key(pair[1]))
