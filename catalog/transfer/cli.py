"""``flask --app wsgi catalogue import|export``."""

from flask.cli import AppGroup

catalogue_cli = AppGroup("catalogue", help="Import and export the catalogue as CSV.")
