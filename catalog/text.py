"""Text folding for search: case- and accent-insensitive on every database."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip accents and squeeze spaces: "Génie Civil" -> "genie civil"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_terms(query: str, limit: int = 8) -> list[str]:
    """The folded words of a search box entry, without punctuation, at most ``limit``."""
    words = re.findall(r"\w+", fold(query))
    return words[:limit]
