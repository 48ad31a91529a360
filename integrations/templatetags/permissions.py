"""`{% can "sync" project as may_sync %}`: whether the request's user may take an action there.

For showing only what the user may use; the views refuse regardless.
"""

from __future__ import annotations

from typing import Any

from django import template

from integrations import permissions
from integrations.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, project: Project) -> bool:
    request: Any = context.get("request")
    return request is not None and permissions.can(request.user, action, project)
