"""Static files under fingerprinted names (catalog/static_files.py)."""

from __future__ import annotations

import re
from pathlib import Path

from catalog.static_files import StaticManifest

LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def linked_static(client) -> list[str]:
    return LINKED.findall(client.get("/").get_data(as_text=True))


def test_pages_link_fingerprinted_names_kept_for_a_year(client, app):
    urls = linked_static(client)
    assert any(url.endswith(".css") for url in urls)
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        with client.get(url) as response:
            body = response.data
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url)
        assert Path(app.static_folder, plain.removeprefix("/static/")).read_bytes() == (body)


def test_plain_names_still_answer_with_a_short_lifetime(client):
    with client.get("/static/css/site.css") as response:
        assert response.status_code == 200
        assert "max-age=3600" in response.headers["Cache-Control"]
        assert "immutable" not in response.headers["Cache-Control"]


def test_a_wrong_or_stale_fingerprint_is_not_found(client):
    assert client.get("/static/css/site.000000000000.css").status_code == 404
    assert client.get("/static/css/missing.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "site.css"
    sheet.write_text("body { color: black }")
    before = StaticManifest(tmp_path).names["css/site.css"]
    sheet.write_text("body { color: navy }")
    after = StaticManifest(tmp_path).names["css/site.css"]
    assert before != after
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", after)
    assert StaticManifest(tmp_path).files[after] == "css/site.css"
