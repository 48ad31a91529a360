from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.ampersand.errors import AmpersandError
from integrations.models import Project
from integrations.services import sync_project


class Command(BaseCommand):
    help = "Fetch the integrations of connected projects and snapshot every change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="Local project name (default: every project).")
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="Repeat forever, this far apart."
        )

    def handle(self, *args: Any, project: str | None, every: float | None, **options: Any) -> None:
        projects = Project.objects.all()
        if project:
            projects = projects.filter(name=project)
            if not projects.exists():
                raise CommandError(f"No project named {project!r}.")
        elif not projects.exists():
            raise CommandError("No project is connected yet: add one in the admin.")
        if every is not None and every <= 0:
            raise CommandError("--every needs a positive number of seconds.")

        while True:
            failed = self.sync_all(projects)
            if every is None:
                break
            time.sleep(every)
        if failed:
            raise CommandError(f"{failed} project(s) failed to sync.")

    def sync_all(self, projects: Any) -> int:
        failed = 0
        for project in projects:
            try:
                result = sync_project(project=project)
            except AmpersandError as error:
                failed += 1
                self.stderr.write(f"sync failed project={project.name}: {error}")
            else:
                self.stdout.write(result.summary())
        return failed
