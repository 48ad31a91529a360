from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.models import Project
from integrations.secrets import UndecryptableKey


class Command(BaseCommand):
    help = (
        "Encrypt every stored API key again under the current SECRET_KEY, so that former keys "
        "can leave DJANGO_SECRET_KEY_FALLBACKS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = failed = 0
        for project in Project.objects.exclude(api_key_encrypted="").order_by("pk"):
            try:
                project.reencrypt_api_key()
            except UndecryptableKey:
                failed += 1
                self.stderr.write(
                    f"undecryptable project={project.name}: neither SECRET_KEY nor "
                    "DJANGO_SECRET_KEY_FALLBACKS opens its key; set it again in the admin."
                )
                continue
            done += 1
        self.stdout.write(f"reencrypted projects={done}")
        if failed:
            raise CommandError(f"{failed} project(s) kept a key that cannot be decrypted.")
