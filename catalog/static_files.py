"""Static files under names that change with their content.

``url_for("static", filename="css/site.css")`` gives ``/static/css/site.<hash>.css``,
the hash being the first 12 hex digits of the file's SHA-256. A browser or proxy
may then keep the file for a year (``immutable``): a new release has new names,
so nobody is ever served yesterday's stylesheet. The plain name still works, with
a short lifetime, for anything that links to it from outside.

nginx can serve the fingerprinted names itself with one regex location (see
deploy/nginx/catalog.conf). With the debugger on, names stay plain so edits show
at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory

YEAR = 365 * 24 * 3600
# Unfingerprinted names: revalidated after an hour.
PLAIN_MAX_AGE = 3600
HASH_LENGTH = 12


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]


def fingerprinted_name(filename: str, digest: str) -> str:
    stem, dot, suffix = filename.rpartition(".")
    if not dot or "/" in suffix:
        return f"{filename}.{digest}"
    return f"{stem}.{digest}.{suffix}"


class StaticManifest:
    """Every file under the static folder, by plain name and by fingerprinted name."""

    def __init__(self, folder: Path):
        self.names: dict[str, str] = {}
        self.files: dict[str, str] = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                plain = path.relative_to(folder).as_posix()
                named = fingerprinted_name(plain, fingerprint(path))
                self.names[plain] = named
                self.files[named] = plain


def _fingerprint_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        manifest: StaticManifest = current_app.extensions["static_manifest"]
        values["filename"] = manifest.names.get(values["filename"], values["filename"])


def serve_static(filename: str):
    manifest: StaticManifest = current_app.extensions["static_manifest"]
    folder = current_app.static_folder
    plain = manifest.files.get(filename)
    if plain is None:
        if filename not in manifest.names:
            abort(404)
        return send_from_directory(folder, filename, max_age=PLAIN_MAX_AGE)
    response = send_from_directory(folder, plain, max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def init_static_files(app: Flask) -> None:
    if app.debug or not app.static_folder:
        return
    app.extensions["static_manifest"] = StaticManifest(Path(app.static_folder))
    app.url_defaults(_fingerprint_urls)
    app.view_functions["static"] = serve_static
