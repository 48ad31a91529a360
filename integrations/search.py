"""Search over integrations: what text a snapshot is found by, and how a query matches it.

Kept free of model imports so `Snapshot.from_raw` can use it; the query side only builds `Q`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
ACTIONS = ("read", "write", "subscribe")
FIELD_LISTS = ("requiredFields", "optionalFields")


def search_text(raw: dict[str, Any]) -> str:
    """The lowercase words an integration is found by: its names, display name, object names,
    field names and mapToNames, one per line so no search term can match across two of them."""
    words: dict[str, None] = {}
    for word in _searchable_words(raw):
        if isinstance(word, str) and word.strip():
            words.setdefault(word.strip().lower(), None)
    return "\n".join(words)


def _searchable_words(raw: dict[str, Any]) -> Iterator[Any]:
    yield raw.get("name")
    revision = raw.get("latestRevision")
    content = revision.get("content") if isinstance(revision, dict) else None
    if not isinstance(content, dict):
        return
    yield content.get("name")
    yield content.get("displayName")
    for action in ACTIONS:
        section = content.get(action)
        objects = section.get("objects") if isinstance(section, dict) else None
        for obj in objects if isinstance(objects, list) else []:
            if not isinstance(obj, dict):
                continue
            yield from (obj.get("objectName"), obj.get("mapToName"), obj.get("mapToDisplayName"))
            for list_name in FIELD_LISTS:
                fields = obj.get(list_name)
                for field in fields if isinstance(fields, list) else []:
                    if isinstance(field, dict):
                        yield from (
                            field.get("fieldName"),
                            field.get("mapToName"),
                            field.get("mapToDisplayName"),
                        )


def normalise_query(query: str) -> str:
    """The query as it is searched and shown: trimmed, single-spaced, bounded in length."""
    return " ".join(query.split())[:MAX_QUERY_LENGTH].strip()


def search_terms(query: str) -> list[str]:
    """The lowercase words of a query; an integration must match every one of them."""
    return list(dict.fromkeys(normalise_query(query).lower().split()))[:MAX_TERMS]


def search_condition(query: str, *, text_field: str) -> Q:
    """A filter matching rows whose lowercase `text_field` holds every term of `query`.

    The column is stored lowercase, so a plain `contains` is case-insensitive without the
    UPPER() on every row that `icontains` costs on PostgreSQL.
    """
    condition = Q()
    for term in search_terms(query):
        condition &= Q(**{f"{text_field}__contains": term})
    return condition
