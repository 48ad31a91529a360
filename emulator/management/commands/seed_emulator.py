"""Fill the emulator with deterministic, realistic demo data: same arguments, same data."""

from __future__ import annotations

import os
import random
import uuid
from argparse import ArgumentTypeError
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from emulator.demo_builder import DemoData, Sizes, build_demo
from emulator.demo_operations import DemoOperation, build_operations
from emulator.models import (
    ApiKey,
    Destination,
    Installation,
    Integration,
    Operation,
    Project,
    Revision,
)

BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BATCH_SIZE = 500


def _count(minimum: int, maximum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise ArgumentTypeError(f"must be between {minimum} and {maximum}, not {value}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Seed the emulator with deterministic demo integrations, installations, their "
        "operations and a key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", default="demo", help="project name (default: demo)")
        parser.add_argument("--integrations", type=_count(1, 100_000), default=24)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--api-key",
            default=os.environ.get("AMPERSAND_API_KEY") or "demo-key",
            help="the X-Api-Key the project accepts (default: $AMPERSAND_API_KEY or demo-key)",
        )
        parser.add_argument(
            "--objects",
            type=_count(1, 200),
            default=None,
            help="average read objects per integration (default: the catalog's, 2-5)",
        )
        parser.add_argument(
            "--fields",
            type=_count(2, 1000),
            default=None,
            help="average fields per object (default: the catalog's, about 6-25)",
        )
        parser.add_argument(
            "--installations",
            type=_count(0, 10_000),
            default=3,
            help="at most this many installations per integration (default: 3)",
        )
        parser.add_argument(
            "--exact-installations",
            type=_count(1, 10_000),
            default=None,
            help="exactly this many installations per integration (instead of --installations)",
        )
        parser.add_argument(
            "--operations",
            type=_count(0, 1000),
            default=20,
            help="at most this many recent operations per installation (default: 20)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the project already has integrations",
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the project's data before seeding"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project_name: str = options["project"].strip()
        api_key: str = options["api_key"].strip()
        if not project_name or len(project_name) > 200:
            raise CommandError("--project needs a name of 1 to 200 characters.")
        if not api_key or len(api_key) > 200:
            raise CommandError("--api-key needs a key of 1 to 200 characters.")
        seed: int = options["seed"]

        with transaction.atomic():
            project = Project.objects.filter(name=project_name).first()
            if project is not None and options["reset"]:
                _delete_project_data(project)
                project = None
            existing = project.integrations.count() if project else 0
            if existing and options["if_empty"]:
                assert project is not None
                added = _add_missing_operations(project, most=options["operations"])
                done = f"added {added} operations" if added else "nothing seeded"
                self.stdout.write(
                    f"project={project_name} already has {existing} integrations; {done}"
                )
                return
            if existing:
                raise CommandError(
                    f"project={project_name} already has {existing} integrations; use --reset "
                    "to replace them or --if-empty to leave them."
                )
            key_owner = ApiKey.objects.filter(key=api_key).select_related("project").first()
            if key_owner is not None and (project is None or key_owner.project_id != project.id):
                raise CommandError(
                    f"The API key is already used by project={key_owner.project.name}; "
                    "pass another --api-key."
                )

            # Ids come from their own stream, so the content depends on --seed alone.
            id_rng = random.Random(f"ids:{project_name}:{seed}")

            def new_id() -> str:
                return str(uuid.UUID(int=id_rng.getrandbits(128), version=4))

            if project is None:
                project = Project.objects.create(
                    id=new_id(),
                    name=project_name,
                    app_name=f"{project_name.replace('-', ' ').title()} App",
                    org_id=new_id(),
                    create_time=BASE_TIME,
                )
            ApiKey.objects.get_or_create(
                key=api_key, defaults={"project": project, "label": "seed_emulator"}
            )
            data = build_demo(
                random.Random(seed),
                new_id,
                project_id=project.id,
                base_time=BASE_TIME,
                integrations=options["integrations"],
                installations=options["exact_installations"] or options["installations"],
                exact_installations=options["exact_installations"] is not None,
                sizes=Sizes(objects=options["objects"], fields=options["fields"]),
            )
            _save(project, data)
            operations = build_operations(data.installations, most=options["operations"])
            _save_operations(project, operations)

        summary = data.summary()
        self.stdout.write(
            f"seeded project={project_name} integrations={summary['integrations']} "
            f"providers={summary['providers']} objects={summary['objects']} "
            f"fields={summary['fields']} installations={summary['installations']} "
            f"operations={len(operations)}"
        )


def _delete_project_data(project: Project) -> None:
    # Bottom-up, so Django need not load every row to cascade.
    Operation.objects.filter(project=project).delete()
    Installation.objects.filter(project=project).delete()
    Integration.objects.filter(project=project).update(latest_revision=None)
    Revision.objects.filter(integration__project=project).delete()
    project.delete()


def _save(project: Project, data: DemoData) -> None:
    Destination.objects.bulk_create(
        [
            Destination(
                id=destination.id,
                project=project,
                name=destination.name,
                type=destination.type,
                metadata=destination.metadata,
                create_time=destination.create_time,
            )
            for destination in data.destinations
        ],
        batch_size=BATCH_SIZE,
    )
    # The integration rows point at their latest revision before it exists; foreign keys are
    # checked at commit.
    Integration.objects.bulk_create(
        [
            Integration(
                id=integration.id,
                project=project,
                name=integration.name,
                provider=integration.provider,
                create_time=integration.create_time,
                update_time=integration.update_time,
                latest_revision_id=integration.latest.id,
            )
            for integration in data.integrations
        ],
        batch_size=BATCH_SIZE,
    )
    Revision.objects.bulk_create(
        [
            Revision(
                id=revision.id,
                integration_id=integration.id,
                spec_version="1.0.0",
                content=revision.content,
                create_time=revision.create_time,
            )
            for integration in data.integrations
            for revision in integration.revisions
        ],
        batch_size=BATCH_SIZE,
    )
    Installation.objects.bulk_create(
        [
            Installation(
                id=installation.id,
                project=project,
                integration_id=installation.integration_id,
                group=installation.group,
                connection=installation.connection,
                config=installation.config,
                health_status=installation.health_status,
                last_operation_status=installation.last_operation_status,
                created_by=installation.created_by,
                create_time=installation.create_time,
                update_time=installation.update_time,
            )
            for installation in data.installations
        ],
        batch_size=BATCH_SIZE,
    )


def _add_missing_operations(project: Project, *, most: int) -> int:
    """Operations for a project seeded before the emulator kept them: the ones a fresh seed
    would build, added only when the project has none."""
    if most < 1 or project.operations.exists():
        return 0
    installations = list(project.installations.order_by("create_time", "id"))
    operations = build_operations(installations, most=most)
    _save_operations(project, operations)
    return len(operations)


def _save_operations(project: Project, operations: list[DemoOperation]) -> None:
    Operation.objects.bulk_create(
        [
            Operation(
                id=operation.id,
                project=project,
                integration_id=operation.integration_id,
                installation_id=operation.installation_id,
                config_id=operation.config_id,
                action_type=operation.action_type,
                status=operation.status,
                result=operation.result,
                metadata=operation.metadata,
                create_time=operation.create_time,
            )
            for operation in operations
        ],
        batch_size=BATCH_SIZE,
    )
