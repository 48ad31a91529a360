"""Hypothesis strategies for amp.yaml: integration contents that keep every ERROR rule of
Ampersand's spec (built from the rules, the published schema and the bundled provider catalog),
and random documents and texts that mostly do not.

The valid contents are drawn the way the rules read, so each rule is kept by construction:
- providers, modules and actions only as the catalog supports them (a module's support
  overrides its provider's; a proxy uses the module only with useModule);
- read objects: unique names, a destination, a schedule at least 10 minutes between runs,
  fields unique by fieldName and by mapToName, provider fields without default/prompt,
  `enabled: always` only with provider fields and no mapToName, backfill days or fullHistory
  (Snowflake full history only; Google Calendar events at most 28 days), delivery auto without
  pageSize or onRequest with pageSize 50-500;
- subscribe only beside read, on read objects, at most 5 for Salesforce, events only with
  inheritFieldsAndMapping: true, update events watching all/selected or top-level fields;
- strings non-blank where they name something, without control characters, within their limits.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml
from hypothesis import strategies as st

from integrations.ampersand.manifest import load_catalog

MAX_SALESFORCE_SUBSCRIBE_OBJECTS = 5
MAX_GOOGLE_CALENDAR_BACKFILL_DAYS = 28
MAX_DAYS = 2**63 - 1

# Any character but controls (Cc) and surrogates (Cs), which the rules refuse in a manifest.
_characters = st.characters(exclude_categories=("Cc", "Cs"))


# Strategies are built once: building them inside each draw costs more than drawing.


@cache
def free_text(*, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text where blank is allowed (a display name)."""
    return st.text(_characters, max_size=max_size)


@cache
def name_text(*, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text that names something: not blank; sometimes an everyday name, often anything."""
    everyday = st.sampled_from(["Account", "Contact", "events", "deals", "people", "Id", "Name"])
    anything = st.text(_characters, min_size=1, max_size=max_size).filter(str.strip)
    return st.one_of(everyday, anything)


@cache
def multiline_text() -> st.SearchStrategy[str]:
    """A prompt or default: free text where line breaks and tabs are ordinary."""
    return st.text(st.one_of(_characters, st.sampled_from("\n\r\t")), max_size=40)


@st.composite
def schedules(draw: st.DrawFn) -> str:
    """A 5-part cron expression whose runs are at least 10 minutes apart."""
    minute = draw(st.integers(0, 59))
    kind = draw(st.sampled_from(["step", "hourly", "every-n-hours", "daily", "pair", "named"]))
    if kind == "step":
        # */n restarts at minute 0 each hour: the gap round the hour counts too.
        steps = [n for n in range(10, 60) if 60 - (59 // n) * n >= 10]
        return f"*/{draw(st.sampled_from(steps))} * * * *"
    if kind == "hourly":
        return f"{minute} * * * *"
    if kind == "every-n-hours":
        return f"{minute} */{draw(st.integers(1, 23))} * * *"
    if kind == "daily":
        return f"{minute} {draw(st.integers(0, 23))} * * {draw(st.sampled_from(['*', '1-5']))}"
    if kind == "pair":
        # Two runs an hour, at least 10 minutes apart both ways round the hour.
        first = draw(st.integers(0, 39))
        second = draw(st.integers(first + 10, min(59, first + 50)))
        return f"{first},{second} * * * *"
    return f"{minute} {draw(st.integers(0, 23))} * {draw(st.sampled_from(['JAN', '*/3']))} MON-FRI"


SCHEDULES = schedules()


def _unique_names(values: list[dict[str, Any]], key: str) -> bool:
    names = [value[key] for value in values if key in value]
    return len(names) == len(set(names))


_PROVIDER_FIELD = st.fixed_dictionaries({"fieldName": name_text()})
_FIELD = st.one_of(
    st.fixed_dictionaries(
        {"fieldName": name_text()},
        optional={"mapToName": name_text(), "mapToDisplayName": free_text()},
    ),
    st.fixed_dictionaries(
        {"mapToName": name_text()},
        optional={
            "mapToDisplayName": free_text(),
            "default": multiline_text(),
            "prompt": multiline_text(),
        },
    ),
)
# Provider fields (fieldName, maybe renamed) and mappings the user picks (mapToName).
FIELDS = st.lists(_FIELD, max_size=4)
PROVIDER_FIELDS = st.lists(_PROVIDER_FIELD, min_size=1, max_size=4)


def _is_google_calendar(provider: str, module: str) -> bool:
    if provider == "googlecalendar":
        return True
    info = load_catalog().provider(provider) if provider == "google" else None
    return info is not None and (module or info.default_module) == "calendar"


@st.composite
def read_objects(draw: st.DrawFn, *, provider: str, module: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "objectName": draw(name_text()),
        "destination": draw(_DESTINATION),
        "schedule": draw(SCHEDULES),
    }
    always = draw(st.booleans()) and draw(st.booleans())
    if always:
        obj["enabled"] = "always"
        obj["requiredFields"] = draw(PROVIDER_FIELDS)
    elif draw(st.booleans()):
        obj["requiredFields"] = draw(FIELDS)
    if draw(st.booleans()):
        obj["optionalFields"] = draw(FIELDS)
    listed = obj.get("requiredFields", []) + obj.get("optionalFields", [])
    if not (_unique_names(listed, "fieldName") and _unique_names(listed, "mapToName")):
        # Each field once, each mapping once: drop the optional ones rather than retry.
        obj.pop("optionalFields", None)
        required = obj.get("requiredFields", [])
        if not (_unique_names(required, "fieldName") and _unique_names(required, "mapToName")):
            obj["requiredFields"] = required[:1]
    if draw(st.booleans()):
        obj["optionalFieldsAuto"] = "all"
    if draw(st.booleans()):
        obj["mapToName"] = draw(name_text())
    if draw(st.booleans()):
        obj["mapToDisplayName"] = draw(free_text())
    if draw(st.booleans()):
        if provider == "snowflake":
            period: dict[str, Any] = {"fullHistory": True}
        elif obj["objectName"] == "events" and _is_google_calendar(provider, module):
            period = {"days": draw(st.integers(0, MAX_GOOGLE_CALENDAR_BACKFILL_DAYS))}
        elif draw(st.booleans()):
            period = {"days": draw(_DAYS)}
        else:
            period = {"fullHistory": draw(st.booleans())}
        obj["backfill"] = {"defaultPeriod": period}
    delivery = draw(st.sampled_from(["none", "auto", "onRequest"]))
    if delivery == "auto":
        obj["delivery"] = {"mode": "auto"}
    elif delivery == "onRequest":
        obj["delivery"] = {"mode": "onRequest", "pageSize": draw(st.integers(50, 500))}
    return obj


_ALWAYS = st.sampled_from([{}, {"enabled": "always"}])
_TOP_LEVEL_FIELD = name_text().filter(lambda name: not set(name) & set(".[]"))
_UPDATE_EVENT = st.tuples(
    st.booleans(),
    st.one_of(
        st.fixed_dictionaries({"watchFieldsAuto": st.sampled_from(["all", "selected"])}),
        st.fixed_dictionaries(
            {"requiredWatchFields": st.lists(_TOP_LEVEL_FIELD, min_size=1, max_size=3)}
        ),
    ),
).map(lambda pair: ({"enabled": "always"} if pair[0] else {}) | pair[1])
_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "createEvent": _ALWAYS,
        "updateEvent": _UPDATE_EVENT,
        "deleteEvent": _ALWAYS,
        "associationChangeEvent": st.fixed_dictionaries(
            {}, optional={"enabled": st.just("always"), "includeFullRecords": st.booleans()}
        ),
    },
).filter(bool)
_DESTINATION = st.one_of(st.just("defaultWebhook"), name_text())
_DAYS = st.one_of(st.integers(0, 365), st.integers(0, MAX_DAYS))
_WRITE_OBJECTS = st.lists(
    st.fixed_dictionaries(
        {"objectName": name_text()},
        optional={
            "inheritMapping": st.booleans(),
            "valueDefaults": st.fixed_dictionaries({}, optional={"allowAnyFields": st.booleans()}),
        },
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda obj: obj["objectName"],
)


@st.composite
def subscribe_objects(draw: st.DrawFn, object_name: str) -> dict[str, Any]:
    obj: dict[str, Any] = {"objectName": object_name, "destination": draw(_DESTINATION)}
    kind = draw(st.sampled_from(["events", "otherEvents", "none"]))
    if kind == "events":
        obj["inheritFieldsAndMapping"] = True
        obj.update(draw(_EVENTS))
    elif kind == "otherEvents":
        obj["otherEvents"] = draw(st.lists(name_text(), min_size=1, max_size=3))
    elif draw(st.booleans()):
        obj["inheritFieldsAndMapping"] = draw(st.booleans())
    return obj


@cache
def _providers_with_an_action() -> list[str]:
    catalog = load_catalog()
    return sorted(
        name
        for name in catalog.raw
        if any(catalog.supports(name, action) for action in ("read", "write", "subscribe", "proxy"))
        or catalog.modules(name)
    )


@st.composite
def integration_contents(draw: st.DrawFn, *, name: st.SearchStrategy[str] | None = None) -> dict:
    """One integration's content that Ampersand's rules accept (warnings allowed)."""
    catalog = load_catalog()
    provider = draw(st.sampled_from(_providers_with_an_action()))
    modules = catalog.modules(provider)
    module = draw(st.sampled_from(["", *modules])) if modules else ""
    content: dict[str, Any] = {"name": draw(name or name_text(max_size=60)), "provider": provider}
    if module:
        content["module"] = module
    if draw(st.booleans()):
        content["displayName"] = draw(free_text())
    if catalog.supports(provider, "read", module) and draw(st.booleans()):
        objects = draw(
            st.lists(
                read_objects(provider=provider, module=module),
                min_size=1,
                max_size=3,
                unique_by=lambda obj: obj["objectName"],
            )
        )
        content["read"] = {"objects": objects}
        if catalog.supports(provider, "subscribe", module) and draw(st.booleans()):
            most = MAX_SALESFORCE_SUBSCRIBE_OBJECTS if provider == "salesforce" else len(objects)
            subscribed = draw(
                st.lists(
                    st.sampled_from([obj["objectName"] for obj in objects]),
                    min_size=1,
                    max_size=most,
                    unique=True,
                )
            )
            content["subscribe"] = {"objects": [draw(subscribe_objects(n)) for n in subscribed]}
    if catalog.supports(provider, "write", module) and draw(st.booleans()):
        content["write"] = {"objects": draw(_WRITE_OBJECTS)}
    proxy_choices = [{}]
    if catalog.supports(provider, "proxy"):
        proxy_choices += [{"enabled": True}, {"useModule": False}]
    if catalog.supports(provider, "proxy", module or None):
        proxy_choices.append({"enabled": True, "useModule": True})
    proxy_choices.append({"enabled": False})
    has_action = any(key in content for key in ("read", "write", "subscribe"))
    if not has_action or draw(st.booleans()):
        supported = [choice for choice in proxy_choices if _proxy_ok(provider, module, choice)]
        content["proxy"] = draw(st.sampled_from(supported))
    return content


def _proxy_ok(provider: str, module: str, proxy: dict[str, Any]) -> bool:
    if proxy.get("enabled") is False:
        return True
    return load_catalog().supports(provider, "proxy", module if proxy.get("useModule") else None)


def manifests(*, max_integrations: int = 4) -> st.SearchStrategy[list[dict[str, Any]]]:
    """The integrations of one valid amp.yaml: 1 to `max_integrations`, names unique."""
    return st.lists(
        integration_contents(),
        min_size=1,
        max_size=max_integrations,
        unique_by=lambda content: content["name"],
    )


# --- anything at all ---------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 10, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(["1.0.0", "always", "onRequest", "*/5 * * * *", "salesforce", "", " "]),
)
_keys = st.one_of(
    st.sampled_from(
        [
            "specVersion",
            "integrations",
            "name",
            "provider",
            "module",
            "read",
            "write",
            "subscribe",
            "proxy",
            "objects",
            "objectName",
            "destination",
            "schedule",
            "requiredFields",
            "fieldName",
            "mapToName",
            "backfill",
            "defaultPeriod",
            "days",
            "delivery",
            "pageSize",
            "updateEvent",
        ]
    ),
    st.text(max_size=10),
)
documents = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def mutated_manifests(draw: st.DrawFn) -> dict[str, Any]:
    """A valid manifest with one value somewhere replaced by a random document."""
    document: Any = {"specVersion": "1.0.0", "integrations": draw(manifests(max_integrations=2))}
    parent, key = None, None
    node = document
    for _ in range(draw(st.integers(1, 6))):
        if isinstance(node, dict) and node:
            parent, key = node, draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            parent, key = node, draw(st.integers(0, len(node) - 1))
        else:
            break
        node = parent[key]
    if parent is not None:
        parent[key] = draw(documents)
    return document


def _dumped(document: Any) -> str:
    try:
        return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return repr(document)


YAML_TRICKS = [
    "a: &a [*a, *a]\n",
    "base: &b {name: x, provider: salesforce}\nintegrations: [*b, *b]\nspecVersion: '1.0.0'\n",
    "specVersion: !!binary aGVsbG8=\nintegrations: []\n",
    "specVersion: 1.0.0\nintegrations:\n  - !!python/name:os.system\n",
    "? [a]\n: b\n",
    "specVersion: '1.0.0'\nintegrations: [{name: x, provider: salesforce, proxy: {}}]\n" * 2,
    "%YAML 1.2\n---\nspecVersion: '1.0.0'\n...\n---\nintegrations: []\n",
    'specVersion: "1.0.0"\nintegrations:\n- name: "\\ud800"\n  provider: salesforce\n',
    "specVersion: '1.0.0'\nintegrations:\n- {name: a, provider: salesforce, read: {objects: "
    "[{objectName: A, destination: d, schedule: '0 * * * *', backfill: {defaultPeriod: "
    "{days: 99999999999999999999999}}}]}}\n",
    "\ufeffspecVersion: '1.0.0'\n",
    "\x00\x01\x02",
    "specVersion: '1.0.0'\nintegrations: [{name: a, provider: salesforce, proxy: {}, <<: {x: 1}}]",
    "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - [",
]

amp_yaml_texts = st.one_of(
    st.text(),
    # Controls and lone surrogates too, which JSON can carry and a database may not store.
    st.text(st.characters(categories=["Cc", "Cs", "Zl", "Zp", "Cf"]), max_size=20),
    st.text(st.characters(codec="utf-8"), max_size=200),
    documents.map(_dumped),
    mutated_manifests().map(_dumped),
    st.sampled_from(YAML_TRICKS),
    st.tuples(st.sampled_from(YAML_TRICKS), st.text(max_size=20)).map("".join),
)
