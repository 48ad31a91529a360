"""What getObjectMetadataForConnection answers: a provider object's fields, as ObjectMetadata.

The demo catalog (`demo_data.py`) names fields only. Their display names, value types and flags
are read from the names by the word rules below, the way each provider's own naming suggests
them. An object has the catalog's fields and its `EXTRA_FIELDS`, then every other field that the
project's integrations or the group's installations read of it: those are the connection's
custom fields. So each field a seeded or deployed integration reads is offered, and more.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import demo_data as catalog


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that providers run together, spelled out so the rules and display names can read them.
RUN_TOGETHER = {
    "annualrevenue": "annual revenue",
    "associatedcompanyid": "associated company id",
    "birthdate": "birth date",
    "closedate": "close date",
    "createdate": "create date",
    "dealname": "deal name",
    "dealstage": "deal stage",
    "dealtype": "deal type",
    "firstname": "first name",
    "jobtitle": "job title",
    "lastmodifieddate": "last modified date",
    "lastname": "last name",
    "lifecyclestage": "lifecycle stage",
    "mobilephone": "mobile phone",
    "numberofemployees": "number of employees",
}
UPPERCASE_WORDS = _word_set("id url arr usd guid os ai")
SMALL_WORDS = _word_set("of in")
# The record's own identifiers (by their words): text, and set by the provider.
IDENTIFIERS = frozenset(
    {"id", "record id", "object id", "ticket id", "case number", "marketo guid"}
)
BOOLEAN_FIRST_WORDS = _word_set("is has do only shared unsubscribed")
BOOLEAN_LAST_WORDS = _word_set(
    "active archived done enabled flag inline open out participated private read spam "
    "suspended trash verified"
)
DATETIME_LAST_WORDS = _word_set(
    "at time datetime since until scheduled started created updated modified"
)
SET_BY_PROVIDER_WORDS = _word_set("create created modified updated count num")
FLOAT_WORDS = _word_set("amount revenue value probability spend arr usd price cost")
INT_WORDS = _word_set(
    "employees size duration seconds score quantity year quarter reopens count num"
)
MULTI_SELECT_LAST_WORDS = _word_set("tags categories domains")
SINGLE_SELECT_LAST_WORDS = _word_set(
    "status stage type subtype priority rating source industry category reason origin role "
    "channel direction scope label pipeline persona tier plan range ownership language "
    "locale"
)
OTHER_LAST_WORDS = _word_set("icon cover media settings attributes data")
# The provider's own name of each value type, where it has one.
PROVIDER_TYPES: dict[str, dict[str, str]] = {
    "salesforce": {
        "singleSelect": "picklist",
        "multiSelect": "multipicklist",
        "float": "double",
        "other": "anyType",
    },
    "hubspot": {
        "boolean": "bool",
        "singleSelect": "enumeration",
        "multiSelect": "enumeration",
        "int": "number",
        "float": "number",
        "reference": "number",
    },
}


def object_metadata(
    provider: str, object_name: str, *, fields_in_use: list[str] | None
) -> dict[str, Any] | None:
    """The ObjectMetadata of `object_name`, or None when the provider has no such object.

    `fields_in_use` are the fields the project reads of the object, or None when nothing reads
    it: an object outside the catalog exists only if something reads it (a custom object).
    """
    known = next(
        (
            obj
            for candidate in catalog.PROVIDERS
            if candidate.name == provider
            for obj in candidate.objects
            if obj.name == object_name
        ),
        None,
    )
    if known is None and fields_in_use is None:
        return None
    if known is not None:
        display_name = known.display_name
        standard = (*known.fields, *catalog.EXTRA_FIELDS.get((provider, object_name), ()))
        keys = set(known.fields[: known.key_fields])
    else:
        display_name = _display_name(_words(object_name))
        base = next((p.base_fields for p in catalog.PROVIDERS if p.name == provider), ())
        standard, keys = base, set(base[:1])
    fields = {
        name: field_metadata(provider, name, is_custom=False, is_key=name in keys)
        for name in standard
    }
    for name in fields_in_use or ():
        if name not in fields:
            fields[name] = field_metadata(provider, name, is_custom=True, is_key=False)
    return {"name": object_name, "displayName": display_name, "fields": fields}


def field_metadata(provider: str, name: str, *, is_custom: bool, is_key: bool) -> dict[str, Any]:
    """One FieldMetadata, read from the field's name; a key field is required on create."""
    words = _words(name)
    value_type = _value_type(words)
    read_only = " ".join(words) in IDENTIFIERS or bool(SET_BY_PROVIDER_WORDS & set(words))
    return {
        "fieldName": name,
        "displayName": _display_name(words, name),
        "valueType": value_type,
        "providerType": PROVIDER_TYPES.get(provider, {}).get(value_type, value_type),
        "readOnly": read_only,
        "isCustom": is_custom,
        "isRequired": is_key and not read_only,
    }


def _words(name: str) -> list[str]:
    """`BillingPostalCode` -> billing postal code; `hs_lastmodifieddate` -> last modified date;
    `$['via']['channel']` -> via channel; `Custom_Field_3__c` -> custom field 3."""
    segments = re.findall(r"\['([^']*)'\]", name) if name.startswith("$[") else [name]
    words: list[str] = []
    for segment in segments:
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", segment)
        for word in re.split(r"[^0-9A-Za-z]+", spaced.lower()):
            words.extend(RUN_TOGETHER.get(word, word).split())
    if name.endswith("__c"):  # Salesforce's mark of a custom field or object
        words = words[:-1]
    if words[:1] == ["hs"] and len(words) > 1:  # HubSpot's prefix of its own properties
        words = words[1:]
    return [word for word in words if word] or [name]


def _value_type(words: list[str]) -> str:
    first, last, every = words[0], words[-1], set(words)
    if " ".join(words) in IDENTIFIERS:
        return "string"
    if first in BOOLEAN_FIRST_WORDS or last in BOOLEAN_LAST_WORDS:
        return "boolean"
    if last in DATETIME_LAST_WORDS or (last == "date" and every & SET_BY_PROVIDER_WORDS):
        return "datetime"
    if "date" in every:
        return "date"
    if (last == "id" and len(words) > 1 and first != "external") or last == "owner":
        return "reference"
    if every & FLOAT_WORDS:
        return "float"
    if every & INT_WORDS:
        return "int"
    if last in MULTI_SELECT_LAST_WORDS:
        return "multiSelect"
    # `StageName`, `ForecastCategoryName`: the name of a choice.
    if (words[-2] if last == "name" and len(words) > 1 else last) in SINGLE_SELECT_LAST_WORDS:
        return "singleSelect"
    if last in OTHER_LAST_WORDS:
        return "other"
    return "string"


def _display_name(words: list[str], name: str = "") -> str:
    if re.fullmatch(r"[0-9a-f]{40}", name):  # Pipedrive keys its custom fields by a hash
        return f"Custom field {name[:6]}"
    shown = [
        word.upper() if word in UPPERCASE_WORDS else word if word in SMALL_WORDS else word.title()
        for word in words
    ]
    text = " ".join(shown)
    return text[:1].upper() + text[1:]
