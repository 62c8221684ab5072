"""Reading rendered pages in tests: elements, text by id, and the layout every page owes
keyboard and screen-reader users."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """The elements of a page in document order with their attributes, the text of
    elements that have an id, and the page title."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self.title = ""
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag not in self.VOID:
            self._open.append((tag, attributes, []))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        while self._open:
            open_tag, attributes, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if "id" in attributes:
                self.text_by_id[attributes["id"]] = text
            if open_tag == "title":
                self.title = text
            if self._open:
                self._open[-1][2].append(f" {text} ")
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            attributes
            for name, attributes in self.elements
            if name == tag and all(attributes.get(k) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> dict[str, str]:
        for _tag, attributes in self.elements:
            if attributes.get("id") == element_id:
                return attributes
        raise AssertionError(f"no element with id {element_id!r}")

    def text(self, element_id: str) -> str:
        self.by_id(element_id)
        return self.text_by_id.get(element_id, "")

    @property
    def language(self) -> str:
        return next(
            attributes.get("lang", "") for tag, attributes in self.elements if tag == "html"
        )


def page(response) -> Page:
    return Page(response.get_data(as_text=True))


def assert_accessible_layout(response) -> None:
    """What every page needs to be usable by keyboard and screen reader."""
    doc = page(response)
    assert doc.all("html")[0].get("lang"), "the page says its language"
    assert doc.title, "the page has a title"
    assert len(doc.all("h1")) == 1, "exactly one <h1>"

    links = doc.all("a")
    assert links and links[0].get("href") == "#content", "a skip link comes first"
    assert len(doc.all("main", id="content")) == 1, "<main id='content'> is the skip target"

    ids = [attributes["id"] for _tag, attributes in doc.elements if "id" in attributes]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"

    labelled = {label.get("for") for label in doc.all("label")}
    for tag, attributes in doc.elements:
        if tag in {"select", "textarea"} or (
            tag == "input"
            and attributes.get("type", "text") not in {"hidden", "submit", "button", "reset"}
        ):
            field = attributes.get("id") or attributes.get("name")
            assert attributes.get("id") in labelled, f"<{tag}> {field!r} has no <label for>"
        assert "None" not in attributes.values(), f"<{tag}> has an attribute set to 'None'"
        for target in attributes.get("aria-describedby", "").split():
            assert target in ids, f"aria-describedby points at missing id {target!r}"

    for summary_link in [
        a for a in links if a.get("href", "").startswith("#") and a.get("href") != "#content"
    ]:
        assert summary_link["href"][1:] in ids, f"link to missing {summary_link['href']}"
