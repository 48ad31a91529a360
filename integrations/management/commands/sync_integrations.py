from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import Project, SyncRun
from integrations.sync import SyncAlreadyRunning, sync_project


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
                run = sync_project(project=project, trigger=SyncRun.Trigger.COMMAND)
            except SyncAlreadyRunning as error:
                failed += 1
                self.stderr.write(f"sync refused project={project.name}: {error}")
                continue
            if run.status == SyncRun.Status.FAILED:
                failed += 1
                request = f" (requestId {run.error_request_id})" if run.error_request_id else ""
                self.stderr.write(
                    f"sync failed project={project.name}: {run.error_title}: "
                    f"{run.error_detail}{request}"
                )
                continue
            for item in run.failed_items:
                self.stderr.write(
                    f"skipped integration {item['name'] or item['remote_id']}: "
                    + "; ".join(item["errors"])
                )
            self.stdout.write(run.summary())
        return failed
