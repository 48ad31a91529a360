"""Search over integrations: what text a snapshot is found by, and how a query matches it.

Kept free of model imports so `Snapshot.from_raw` can use it; the query side only builds `Q`s.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Any

from django.db.models import Q

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
ACTIONS = ("read", "write", "subscribe")
FIELD_LISTS = ("requiredFields", "optionalFields")


def search_text(raw: dict[str, Any]) -> str:
    """The lowercase words an integration is found by: its names, display name, object names,
    field names and mapToNames, one per line so no search term can match across two of them."""
    candidates = _searchable_words(raw)
    try:
        distinct = dict.fromkeys(candidates)
    except TypeError:  # a list or an object where a name belongs
        distinct = dict.fromkeys(word for word in candidates if isinstance(word, str))
    words: dict[str, None] = {}
    for word in distinct:
        if isinstance(word, str) and word.strip():
            words.setdefault(word.strip().lower(), None)
    return "\n".join(words)


def _searchable_words(raw: dict[str, Any]) -> list[Any]:
    """Every name in the order found; most of an integration is fields, hence the C-level loop."""
    words = [raw.get("name")]
    revision = raw.get("latestRevision")
    content = revision.get("content") if isinstance(revision, dict) else None
    if not isinstance(content, dict):
        return words
    words += (content.get("name"), content.get("displayName"))
    for action in ACTIONS:
        section = content.get(action)
        objects = section.get("objects") if isinstance(section, dict) else None
        for obj in objects if isinstance(objects, list) else []:
            if not isinstance(obj, dict):
                continue
            words += (obj.get("objectName"), obj.get("mapToName"), obj.get("mapToDisplayName"))
            for list_name in FIELD_LISTS:
                fields = obj.get(list_name)
                if isinstance(fields, list):
                    _add_field_words(words, fields)
    return words


def _add_field_words(words: list[Any], fields: list[Any]) -> None:
    found = len(words)
    try:
        names = zip(
            map(dict.get, fields, repeat("fieldName")),
            map(dict.get, fields, repeat("mapToName")),
            map(dict.get, fields, repeat("mapToDisplayName")),
            strict=True,
        )
        # Most fields have no mapToName: dropping the Nones here halves what is deduplicated.
        words += filter(None, chain.from_iterable(names))
    except TypeError:  # an item that is not an object: skip those one by one
        del words[found:]
        for field in fields:
            if isinstance(field, dict):
                words += (
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
