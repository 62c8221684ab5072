"""Forms of the administrators' pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields import enum_coerce
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.labels import LABELS
from catalog.models import Role
from catalog.security.audit import KIND_LABELS


class AuditFilterForm(FlaskForm):
    """The audit log's filters: read from the query string, changing nothing."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of event"), validators=[Optional()], default="")
    email = StringField(
        _l("Account e-mail address contains"), validators=[Optional(), Length(max=254)]
    )

    def fill_choices(self) -> None:
        self.kind.choices = [SelectChoice("", _l("Every kind"))] + [
            SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()
        ]


class RolesForm(FlaskForm):
    roles = SelectMultipleField(
        _l("Roles"),
        coerce=enum_coerce(Role),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("Saving a change logs the person out everywhere."),
    )
    submit = SubmitField(_l("Save roles"))

    def fill_choices(self) -> None:
        self.roles.choices = [SelectChoice(role.value, LABELS[Role][role]) for role in Role]
