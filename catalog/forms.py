"""Form pieces shared by every feature."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from catalog.extensions import db
from catalog.geo.services import country_name, sorted_by_name
from catalog.i18n import LANGUAGE_NAMES
from catalog.models import Country
from catalog.timeutil import timezone_names


# SelectChoice, not (value, label) tuples: WTForms 3.3 deprecates tuples (removed in 3.4).
def country_choices(blank_label: str | None = None) -> list[SelectChoice]:
    """Every country, named and ordered in the reader's language ("Égypte" among
    the E's in French)."""
    rows = db.session.execute(select(Country.code, Country.name))
    names = sorted_by_name((code, country_name(code, default=name)) for code, name in rows)
    choices = [SelectChoice(code, name) for code, name in names]
    if blank_label is not None:
        choices.insert(0, SelectChoice("", blank_label))
    return choices


def timezone_choices() -> list[SelectChoice]:
    return [SelectChoice(name, name.replace("_", " ")) for name in timezone_names()]


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]


class CountryField(SelectField):
    """A country picked by name, validated against the countries table.

    An empty choice passes here; add ``DataRequired`` where a country is needed.
    """

    def pre_validate(self, form):
        if self.data and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose a country from the list."))


class TimezoneField(SelectField):
    def pre_validate(self, form):
        if self.data not in timezone_names():
            raise ValidationError(_l("Choose a time zone from the list, such as Africa/Nairobi."))
