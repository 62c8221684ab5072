"""Form pieces shared by every feature."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from catalog.extensions import db
from catalog.i18n import LANGUAGE_NAMES
from catalog.models import Country
from catalog.timeutil import timezone_names


def country_choices(blank_label: str | None = None) -> list[tuple[str, str]]:
    countries = db.session.execute(select(Country.code, Country.name).order_by(Country.name))
    choices = [(code, name) for code, name in countries]
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGE_NAMES.items())


class CountryField(SelectField):
    """A country picked by name, validated against the countries table.

    An empty choice passes here; add ``DataRequired`` where a country is needed.
    """

    def pre_validate(self, form):
        if self.data and self.data not in {code for code, _name in self.choices}:
            raise ValueError(_l("Choose a country from the list."))


class TimezoneField(SelectField):
    def pre_validate(self, form):
        if self.data not in timezone_names():
            raise ValueError(_l("Choose a time zone from the list, such as Africa/Nairobi."))
