"""Deterministic demo data for the emulator, built from the catalog in `emulator/demo_data.py`.

Pure functions: everything comes from the `random.Random` and the id factory passed in, and
timestamps from a fixed base, so the same arguments always build the same data. The
`seed_emulator` command writes the result to the database.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from emulator import demo_data as catalog
from emulator.demo_data import CatalogObject, Provider, UseCase, UserMapping
from emulator.models import rfc3339
from integrations.ampersand.manifest import load_catalog
from integrations.ampersand.manifest.validator import MAX_SALESFORCE_SUBSCRIBE_OBJECTS


@dataclass
class DemoRevision:
    id: str
    create_time: datetime
    content: dict[str, Any]


@dataclass
class DemoIntegration:
    id: str
    name: str
    provider: str
    create_time: datetime
    update_time: datetime | None
    revisions: list[DemoRevision]  # oldest first

    @property
    def latest(self) -> DemoRevision:
        return self.revisions[-1]


@dataclass
class DemoInstallation:
    id: str
    integration_id: str
    group: dict[str, Any]
    connection: dict[str, Any]
    config: dict[str, Any]
    health_status: str
    last_operation_status: str
    created_by: str
    create_time: datetime
    update_time: datetime | None


@dataclass
class DemoDestination:
    id: str
    name: str
    type: str
    metadata: dict[str, Any]
    create_time: datetime


@dataclass
class DemoData:
    destinations: list[DemoDestination]
    integrations: list[DemoIntegration]
    installations: list[DemoInstallation]

    def summary(self) -> dict[str, int]:
        read_objects = [
            obj
            for integration in self.integrations
            for obj in integration.latest.content.get("read", {}).get("objects", [])
        ]
        return {
            "integrations": len(self.integrations),
            "providers": len({integration.provider for integration in self.integrations}),
            "objects": len(read_objects),
            "fields": sum(
                len(obj.get("requiredFields", [])) + len(obj.get("optionalFields", []))
                for obj in read_objects
            ),
            "installations": len(self.installations),
        }


@dataclass(frozen=True)
class Sizes:
    """Average read objects per integration and fields per object; None for the catalog's own."""

    objects: int | None = None
    fields: int | None = None


@dataclass
class _Context:
    rng: Random
    new_id: Callable[[], str]
    project_id: str
    sizes: Sizes
    variants: dict[str, int] = dataclasses.field(default_factory=dict)

    def next_variant(self, kind: str) -> int:
        """How many integrations of this kind came before: alternates features deterministically."""
        variant = self.variants.get(kind, 0)
        self.variants[kind] = variant + 1
        return variant


def build_demo(
    rng: Random,
    new_id: Callable[[], str],
    *,
    project_id: str,
    base_time: datetime,
    integrations: int,
    installations: int,
    sizes: Sizes = Sizes(),
    exact_installations: bool = False,
) -> DemoData:
    context = _Context(rng=rng, new_id=new_id, project_id=project_id, sizes=sizes)
    destinations = [
        DemoDestination(new_id(), name, kind, dict(metadata), base_time + timedelta(minutes=index))
        for index, (name, kind, metadata) in enumerate(catalog.DESTINATIONS)
    ]
    built = [
        _integration(context, index, provider, use_case, name, display_name, base_time)
        for index, (provider, use_case, name, display_name) in enumerate(
            _integration_plan(integrations)
        )
    ]
    customers = _Customers(context, base_time, max(installations, len(catalog.CUSTOMERS)))
    installed = [
        installation
        for integration in built
        for installation in _installations(
            context, integration, customers, installations, exact=exact_installations
        )
    ]
    customers.settle_times(installed)
    return DemoData(destinations=destinations, integrations=built, installations=installed)


# --- integrations -------------------------------------------------------------------------


def _integration_plan(count: int) -> Iterator[tuple[Provider, UseCase, str, str]]:
    """Each provider's first use case, then each one's second, ...; then again with qualifiers."""
    hand_written = [
        (provider, provider.use_cases[round_index])
        for round_index in range(max(len(p.use_cases) for p in catalog.PROVIDERS))
        for provider in catalog.PROVIDERS
        if round_index < len(provider.use_cases)
    ]
    for index in range(count):
        provider, use_case = hand_written[index % len(hand_written)]
        name = f"{provider.slug}-{use_case.suffix}"
        display_name = f"{provider.display_name} {use_case.display_suffix}"
        repeat = index // len(hand_written)
        if repeat:
            qualifiers = catalog.NAME_QUALIFIERS
            qualifier = qualifiers[repeat - 1] if repeat <= len(qualifiers) else str(repeat + 1)
            name = f"{name}-{qualifier}"
            display_name = f"{display_name} ({qualifier.upper()})"
        yield provider, use_case, name, display_name


def _integration(
    context: _Context,
    index: int,
    provider: Provider,
    use_case: UseCase,
    name: str,
    display_name: str,
    base_time: datetime,
) -> DemoIntegration:
    rng = context.rng
    content = _content(context, provider, use_case, name, display_name)
    versions = [content]
    for _ in range(rng.choice((0, 0, 1, 2))):
        versions.insert(0, _older_version(rng, versions[0]))
    create_time = base_time + timedelta(hours=2 * index + 1, minutes=rng.randrange(120))
    revisions = []
    moment = create_time
    for version in versions:
        revisions.append(DemoRevision(context.new_id(), moment, version))
        moment += timedelta(days=rng.randint(1, 14), minutes=rng.randrange(600))
    return DemoIntegration(
        id=context.new_id(),
        name=name,
        provider=provider.name,
        create_time=create_time,
        update_time=revisions[-1].create_time if len(revisions) > 1 else None,
        revisions=revisions,
    )


def _content(
    context: _Context, provider: Provider, use_case: UseCase, name: str, display_name: str
) -> dict[str, Any]:
    rng, kind = context.rng, use_case.kind
    variant = context.next_variant(kind)
    content: dict[str, Any] = {"name": name, "displayName": display_name, "provider": provider.name}
    if provider.module:
        content["module"] = provider.module
    if kind == catalog.PROXY:
        content["proxy"] = {"enabled": True}
        if _proxies_through_module(provider) and variant % 2 == 0:
            content["proxy"]["useModule"] = True
        return content

    objects = _pick_objects(context, provider)
    schedule = _schedule_for(rng, kind)
    read_objects = [
        _read_object(context, provider, kind, variant, position, obj, fields, schedule)
        for position, (obj, fields) in enumerate(objects)
    ]
    content["read"] = {"objects": read_objects}
    if kind == catalog.EVENTS:
        content["subscribe"] = {"objects": _subscribe_objects(rng, provider, variant, read_objects)}
    elif kind == catalog.WRITEBACK:
        content["write"] = {"objects": _write_objects(rng, read_objects)}
        content["proxy"] = {"enabled": True, "useModule": _proxies_through_module(provider)}
    elif kind == catalog.SCHEMA_WATCH:
        content["watchSchema"] = _watch_schema(rng, variant)
    elif kind == catalog.SYNC and variant % 3 == 0:
        content["proxy"] = {"enabled": True}
        if _proxies_through_module(provider):
            content["proxy"]["useModule"] = True
    return content


def _proxies_through_module(provider: Provider) -> bool:
    providers = load_catalog()
    return bool(provider.module) and providers.supports(provider.name, "proxy", provider.module)


def _schedule_for(rng: Random, kind: str) -> str:
    schedules = catalog.READ_SCHEDULES
    choices = {
        catalog.SYNC: ("every 15 minutes", "every 30 minutes", "hourly", "daily", "weekdays"),
        catalog.MAPPING: ("hourly", "every 6 hours", "daily"),
        catalog.EVENTS: ("every 10 minutes",),
        catalog.WRITEBACK: ("every 15 minutes", "every 30 minutes"),
        catalog.SCHEMA_WATCH: ("every 30 minutes", "hourly"),
    }[kind]
    return schedules[rng.choice(choices)]


def _pick_objects(context: _Context, provider: Provider) -> list[tuple[CatalogObject, list[str]]]:
    rng, sizes = context.rng, context.sizes
    available = provider.objects
    if sizes.objects is None:
        count = rng.randint(2, min(5, len(available)))
    else:
        count = rng.randint(
            max(1, sizes.objects - sizes.objects // 3), sizes.objects + sizes.objects // 3
        )
    if count <= len(available):
        chosen = [available[i] for i in sorted(rng.sample(range(len(available)), count))]
    else:
        chosen = list(available) + [
            _custom_object(provider, number) for number in range(1, count - len(available) + 1)
        ]
    return [(obj, _pick_fields(context, provider, obj)) for obj in chosen]


def _custom_object(provider: Provider, number: int) -> CatalogObject:
    return CatalogObject(
        name=provider.custom_object.format(n=number),
        display_name=f"Custom object {number}",
        map_to_name=f"customObject{number}",
        map_to_display_name=f"Custom object {number}",
        fields=provider.base_fields,
    )


def _pick_fields(context: _Context, provider: Provider, obj: CatalogObject) -> list[str]:
    rng, wanted = context.rng, context.sizes.fields
    known = list(obj.fields)
    keys, rest = known[: obj.key_fields], known[obj.key_fields :]
    if wanted is None:
        count = rng.randint(min(6, len(known)), len(known))
    else:
        count = rng.randint(max(2, wanted - wanted // 3), wanted + wanted // 3)
    count = max(count, len(keys) + 1)
    if count <= len(known):
        picked = sorted(rng.sample(range(len(rest)), count - len(keys)))
        return keys + [rest[i] for i in picked]
    return known + [
        _custom_field(provider, obj.name, number) for number in range(1, count - len(known) + 1)
    ]


def _custom_field(provider: Provider, object_name: str, number: int) -> str:
    digest = hashlib.sha1(f"{provider.name}/{object_name}/{number}".encode(), usedforsecurity=False)
    return provider.custom_field.format(n=number, hash=digest.hexdigest())


def _read_object(
    context: _Context,
    provider: Provider,
    kind: str,
    variant: int,
    position: int,
    obj: CatalogObject,
    fields: list[str],
    schedule: str,
) -> dict[str, Any]:
    rng = context.rng
    used_map_to_names: set[str] = set()
    required = [_fixed_field(name, used_map_to_names) for name in fields[: obj.key_fields]]
    optional = [_fixed_field(name, used_map_to_names) for name in fields[obj.key_fields :]]
    read: dict[str, Any] = {
        "objectName": obj.name,
        "destination": provider.destination,
        "schedule": schedule,
    }
    if kind == catalog.SYNC and position > 0 and rng.random() < 0.3:
        read["schedule"] = catalog.READ_SCHEDULES["daily"]
    if kind in (catalog.SYNC, catalog.WRITEBACK):
        _rename_one(rng, optional, used_map_to_names)
    if kind == catalog.MAPPING:
        read["mapToName"] = obj.map_to_name
        read["mapToDisplayName"] = obj.map_to_display_name
        mappings = obj.mappings or (
            UserMapping(
                "externalId",
                "External ID",
                "Which field holds your app's ID for this record?",
                fields[0],
            ),
        )
        for number, mapping in enumerate(mappings):
            if mapping.map_to_name in used_map_to_names:
                continue
            used_map_to_names.add(mapping.map_to_name)
            target = required if number == 0 else optional
            target.append(
                {
                    "mapToName": mapping.map_to_name,
                    "mapToDisplayName": mapping.map_to_display_name,
                    "prompt": mapping.prompt,
                    "default": mapping.default,
                }
            )
        read["optionalFieldsAuto"] = "all"
        if position % 2 == 1:
            read["destination"] = catalog.ARCHIVE_DESTINATION
    read["requiredFields"] = required
    if optional:
        read["optionalFields"] = optional
    if kind == catalog.MAPPING:
        read["backfill"] = {"defaultPeriod": {"fullHistory": True}}
        read["delivery"] = {"mode": "onRequest", "pageSize": rng.choice(catalog.PAGE_SIZES)}
    else:
        read["backfill"] = {"defaultPeriod": {"days": rng.choice(catalog.BACKFILL_DAYS)}}
        if kind == catalog.SYNC and variant % 2 == 0:
            read["delivery"] = {"mode": "auto"}
    if kind == catalog.EVENTS and position == 0:
        read["enabled"] = "always"
    return read


def _fixed_field(name: str, used_map_to_names: set[str]) -> dict[str, str]:
    if not name.startswith("$["):
        return {"fieldName": name}
    # A nested value needs a flat name to land in the destination.
    flat = "_".join(re.findall(r"\['([^']*)'\]", name)) or name
    map_to_name = re.sub(r"[^0-9A-Za-z]+", "_", flat).strip("_").lower()
    used_map_to_names.add(map_to_name)
    return {"fieldName": name, "mapToName": map_to_name, "mapToDisplayName": _humanize(map_to_name)}


def _rename_one(rng: Random, fields: list[dict[str, str]], used_map_to_names: set[str]) -> None:
    plain = [field for field in fields if "mapToName" not in field]
    if not plain:
        return
    field = rng.choice(plain)
    name = field["fieldName"]
    map_to_name = _snake(name)
    if map_to_name == name:
        map_to_name = re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), name)
    if map_to_name == name or map_to_name in used_map_to_names:
        return
    used_map_to_names.add(map_to_name)
    field["mapToName"] = map_to_name
    field["mapToDisplayName"] = _humanize(_snake(map_to_name))


def _subscribe_objects(
    rng: Random, provider: Provider, variant: int, read_objects: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    subscribed = []
    for position, read in enumerate(read_objects):
        if position > 0 and rng.random() < 0.3:
            continue
        subscription: dict[str, Any] = {
            "objectName": read["objectName"],
            "destination": catalog.EVENTS_DESTINATION,
            "inheritFieldsAndMapping": True,
            "createEvent": {"enabled": "always"},
        }
        if (variant + position) % 2 == 0:
            subscription["updateEvent"] = {"enabled": "always", "watchFieldsAuto": "all"}
        else:
            watched = [
                field["fieldName"]
                for field in read["requiredFields"] + read.get("optionalFields", [])
                if "fieldName" in field and not field["fieldName"].startswith("$[")
            ]
            subscription["updateEvent"] = {
                "enabled": "always",
                "requiredWatchFields": watched[: rng.randint(1, 3)],
            }
        subscription["deleteEvent"] = {"enabled": "always"}
        if provider.name == "hubspot" or variant % 2 == 0:
            subscription["associationChangeEvent"] = {
                "enabled": "always",
                "includeFullRecords": rng.random() < 0.5,
            }
        if position == 0 and variant % 2 == 0:
            subscription["otherEvents"] = list(catalog.OTHER_EVENTS)
        subscribed.append(subscription)
    if provider.name == "salesforce":
        return subscribed[:MAX_SALESFORCE_SUBSCRIBE_OBJECTS]
    return subscribed


def _write_objects(rng: Random, read_objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    written = []
    for position, read in enumerate(read_objects):
        if position > 0 and rng.random() < 0.4:
            continue
        write: dict[str, Any] = {"objectName": read["objectName"]}
        if position == 0 or rng.random() < 0.5:
            write["inheritMapping"] = True
        if position == 0 or rng.random() < 0.5:
            write["valueDefaults"] = {"allowAnyFields": True}
        written.append(write)
    return written


def _watch_schema(rng: Random, variant: int) -> dict[str, Any]:
    events = ["fieldCreated", "fieldDeleted", "fieldChanged"]
    chosen = events if variant % 2 == 0 else events[: rng.randint(1, 3)]
    return {
        "destination": catalog.SCHEMA_WATCH_DESTINATION,
        "schedule": rng.choice(catalog.WATCH_SCHEMA_SCHEDULES),
        "allObjects": {event: {"enabled": "always"} for event in chosen},
    }


def _older_version(rng: Random, content: dict[str, Any]) -> dict[str, Any]:
    """The content as it plausibly was one revision earlier: one small, valid difference."""
    older = copy.deepcopy(content)
    read_objects = older.get("read", {}).get("objects", [])
    referenced = {
        obj["objectName"]
        for action in ("write", "subscribe")
        for obj in older.get(action, {}).get("objects", [])
    }
    changes: list[Callable[[], None]] = []
    with_optional = [obj for obj in read_objects if obj.get("optionalFields")]
    if with_optional:

        def drop_optional_field() -> None:
            obj = rng.choice(with_optional)
            obj["optionalFields"].pop()
            if not obj["optionalFields"]:
                del obj["optionalFields"]

        changes.append(drop_optional_field)
    if read_objects:

        def change_schedule() -> None:
            obj = rng.choice(read_objects)
            others = [s for s in catalog.READ_SCHEDULES.values() if s != obj["schedule"]]
            obj["schedule"] = rng.choice(others)

        changes.append(change_schedule)
    with_days = [obj for obj in read_objects if "days" in obj["backfill"]["defaultPeriod"]]
    if with_days:

        def change_backfill() -> None:
            period = rng.choice(with_days)["backfill"]["defaultPeriod"]
            period["days"] = rng.choice([d for d in catalog.BACKFILL_DAYS if d != period["days"]])

        changes.append(change_backfill)
    if len(read_objects) > 1 and read_objects[-1]["objectName"] not in referenced:
        changes.append(read_objects.pop)
    if not changes:

        def retitle() -> None:
            older["displayName"] = f"{content['displayName']} (beta)"

        changes.append(retitle)
    rng.choice(changes)()
    return older


# --- installations ------------------------------------------------------------------------


class _Customers:
    """The builder's customers (groups), each with the person who installs, and connections."""

    def __init__(self, context: _Context, base_time: datetime, count: int) -> None:
        self.context = context
        rng = context.rng
        self.groups: list[dict[str, Any]] = []
        self.consumers: list[dict[str, Any]] = []
        for index in range(count):
            name = catalog.CUSTOMERS[index % len(catalog.CUSTOMERS)]
            if index >= len(catalog.CUSTOMERS):
                name = f"{name} {index // len(catalog.CUSTOMERS) + 1}"
            moment = rfc3339(base_time)
            self.groups.append(
                {
                    "groupRef": f"org_{rng.getrandbits(48):012x}",
                    "groupName": name,
                    "projectId": context.project_id,
                    "createTime": moment,
                }
            )
            first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
            self.consumers.append(
                {
                    "consumerRef": f"user_{rng.getrandbits(48):012x}",
                    "consumerName": f"{first} {last}",
                    "projectId": context.project_id,
                    "createTime": moment,
                }
            )
        self.connections: dict[tuple[int, str], dict[str, Any]] = {}

    def connection(self, group_index: int, provider: Provider) -> dict[str, Any]:
        key = (group_index, provider.name)
        if key not in self.connections:
            rng = self.context.rng
            group = self.groups[group_index]
            connection: dict[str, Any] = {
                "id": self.context.new_id(),
                "projectId": self.context.project_id,
                "provider": provider.name,
                "group": group,
                "consumer": self.consumers[group_index],
                "createTime": group["createTime"],
                "authScheme": provider.auth_scheme,
                "status": rng.choices(
                    ("working", "created", "bad_credentials"), weights=(85, 8, 7)
                )[0],
            }
            workspace = _workspace_ref(rng, provider, group["groupName"])
            if workspace:
                connection["providerWorkspaceRef"] = workspace
            self.connections[key] = connection
        return self.connections[key]

    def settle_times(self, installations: list[DemoInstallation]) -> None:
        """Groups, consumers and connections appear shortly before their first installation."""
        first_seen: dict[int, datetime] = {}
        for installation in installations:
            for part in (installation.group, installation.connection):
                known = first_seen.get(id(part))
                if known is None or installation.create_time < known:
                    first_seen[id(part)] = installation.create_time
        for group, consumer in zip(self.groups, self.consumers, strict=True):
            if id(group) in first_seen:
                moment = rfc3339(first_seen[id(group)] - timedelta(minutes=3))
                group["createTime"] = consumer["createTime"] = moment
        for connection in self.connections.values():
            moment = first_seen.get(id(connection))
            if moment is not None:
                connection["createTime"] = rfc3339(moment - timedelta(minutes=1))


def _workspace_ref(rng: Random, provider: Provider, group_name: str) -> str:
    if provider.workspace_ref == "portal":
        return str(rng.randint(20_000_000, 49_999_999))
    if provider.workspace_ref == "subdomain":
        slug = re.sub(r"[^a-z0-9]+", "-", group_name.lower()).strip("-")
        return slug or f"workspace-{rng.getrandbits(24):06x}"
    return ""


def _installations(
    context: _Context,
    integration: DemoIntegration,
    customers: _Customers,
    maximum: int,
    *,
    exact: bool = False,
) -> list[DemoInstallation]:
    if maximum < 1:
        return []
    rng = context.rng
    provider = next(p for p in catalog.PROVIDERS if p.name == integration.provider)
    count = maximum if exact else rng.randint(1, maximum)
    group_indexes = rng.sample(range(len(customers.groups)), count)
    installed = []
    for group_index in group_indexes:
        revision = integration.latest
        if len(integration.revisions) > 1 and rng.random() < 0.25:
            revision = integration.revisions[-2]
        create_time = revision.create_time + timedelta(
            hours=rng.randint(1, 240), minutes=rng.randrange(60)
        )
        connection = customers.connection(group_index, provider)
        consumer = customers.consumers[group_index]
        created_by = f"consumer:{consumer['consumerRef']}"
        healthy = connection["status"] != "bad_credentials" and rng.random() >= 0.07
        if "read" not in revision.content:
            last_operation = ""
        elif not healthy:
            last_operation = "failure"
        else:
            last_operation = rng.choices(("success", "in_progress"), weights=(9, 1))[0]
        update_time = (
            create_time + timedelta(days=rng.randint(1, 20)) if rng.random() < 0.3 else None
        )
        config = {
            "id": context.new_id(),
            "revisionId": revision.id,
            "createTime": rfc3339(update_time or create_time),
            "createdBy": created_by,
            "content": _config_content(rng, provider, revision.content),
        }
        installed.append(
            DemoInstallation(
                id=context.new_id(),
                integration_id=integration.id,
                group=customers.groups[group_index],
                connection=connection,
                config=config,
                health_status="healthy" if healthy else "unhealthy",
                last_operation_status=last_operation,
                created_by=created_by,
                create_time=create_time,
                update_time=update_time,
            )
        )
    return installed


def _config_content(rng: Random, provider: Provider, content: dict[str, Any]) -> dict[str, Any]:
    """What one customer chose; some choices differ from the integration's defaults."""
    config: dict[str, Any] = {"provider": content["provider"]}
    read_objects = content.get("read", {}).get("objects", [])
    if read_objects:
        chosen = [
            obj
            for position, obj in enumerate(read_objects)
            if position == 0 or obj.get("enabled") == "always" or rng.random() < 0.8
        ]
        config["read"] = {
            "objects": {obj["objectName"]: _read_config(rng, provider, obj) for obj in chosen}
        }
    write_objects = content.get("write", {}).get("objects", [])
    if write_objects:
        config["write"] = {
            "objects": {
                obj["objectName"]: _write_config(rng, obj, read_objects) for obj in write_objects
            }
        }
    subscribe_objects = content.get("subscribe", {}).get("objects", [])
    if subscribe_objects:
        config["subscribe"] = {
            "objects": {obj["objectName"]: _subscribe_config(rng, obj) for obj in subscribe_objects}
        }
    if content.get("proxy", {}).get("enabled"):
        config["proxy"] = {"enabled": True}
    return config


def _read_config(rng: Random, provider: Provider, obj: dict[str, Any]) -> dict[str, Any]:
    selected_fields: dict[str, bool] = {}
    selected_mappings: dict[str, str] = {}
    for required, fields in ((True, obj["requiredFields"]), (False, obj.get("optionalFields", []))):
        for field in fields:
            if "fieldName" in field:
                if required or rng.random() < 0.7:
                    selected_fields[field["fieldName"]] = True
                    if "mapToName" in field:
                        selected_mappings[field["mapToName"]] = field["fieldName"]
            elif required or rng.random() < 0.6:
                picked = field["default"]
                if rng.random() < 0.3:
                    picked = _custom_field(provider, obj["objectName"], rng.randint(1, 40))
                selected_mappings[field["mapToName"]] = picked
    if obj.get("optionalFieldsAuto") == "all":
        for _ in range(rng.randint(0, 2)):
            selected_fields[_custom_field(provider, obj["objectName"], rng.randint(41, 80))] = True
    config: dict[str, Any] = {
        "objectName": obj["objectName"],
        "schedule": obj["schedule"],
        "destination": obj["destination"],
        "selectedFields": selected_fields,
        "selectedFieldMappings": selected_mappings,
    }
    if rng.random() < 0.15:
        config["schedule"] = catalog.READ_SCHEDULES[
            rng.choice(("every 30 minutes", "hourly", "daily"))
        ]
    if obj.get("optionalFieldsAuto") == "all" and rng.random() < 0.3:
        config["selectedFieldsAuto"] = "all"
    period = dict(obj["backfill"]["defaultPeriod"])
    if rng.random() < 0.25:
        period = (
            {"days": rng.choice(catalog.BACKFILL_DAYS)}
            if "fullHistory" in period
            else {"fullHistory": True}
        )
    config["backfill"] = {"defaultPeriod": period}
    if rng.random() < 0.05:
        config["disabled"] = True
    return config


def _write_config(
    rng: Random, obj: dict[str, Any], read_objects: list[dict[str, Any]]
) -> dict[str, Any]:
    config: dict[str, Any] = {"objectName": obj["objectName"]}
    if obj.get("valueDefaults", {}).get("allowAnyFields"):
        read = next((r for r in read_objects if r["objectName"] == obj["objectName"]), None)
        candidates = [
            field["fieldName"]
            for field in (read or {}).get("optionalFields", [])
            if "fieldName" in field and not field["fieldName"].startswith("$[")
        ]
        if candidates:
            config["selectedFieldSettings"] = {
                rng.choice(candidates): {
                    "default": {"stringValue": rng.choice(("Partner referral", "Web", "Imported"))},
                    "writeOnCreate": "always",
                    "writeOnUpdate": rng.choice(("never", "ifEmpty")),
                }
            }
    if rng.random() < 0.3:
        config["deletionSettings"] = {"enabled": rng.random() < 0.5}
    return config


def _subscribe_config(rng: Random, obj: dict[str, Any]) -> dict[str, Any]:
    update_event = dict(obj.get("updateEvent", {"enabled": "always"}))
    if rng.random() < 0.2:
        update_event = {"enabled": "never"}
    config: dict[str, Any] = {
        "objectName": obj["objectName"],
        "destination": obj["destination"],
        "inheritFieldsAndMappings": obj.get("inheritFieldsAndMapping", False),
        "createEvent": {"enabled": "always"},
        "updateEvent": update_event,
        "deleteEvent": {"enabled": "always" if rng.random() < 0.8 else "never"},
    }
    if obj.get("otherEvents"):
        config["otherEvents"] = list(obj["otherEvents"])
    return config


# --- names --------------------------------------------------------------------------------


def _snake(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^0-9A-Za-z]+", "_", spaced).strip("_").lower()


def _humanize(snake_name: str) -> str:
    words = _snake(snake_name).split("_")
    text = " ".join(word.upper() if word in {"id", "url", "arr", "mrr"} else word for word in words)
    return text[:1].upper() + text[1:]
