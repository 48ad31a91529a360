"""The one place that decides who may do what in a project.

A user's Membership.role in a project grants actions: a viewer may look, an editor may also change
the integrations, ops may also manage the project. Superusers may do everything everywhere,
anonymous users nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from integrations.models import Membership, Project

Role = Membership.Role


class Action(StrEnum):
    VIEW = "view"  # browse, history, diffs, export
    SYNC = "sync"  # Sync now
    DEPLOY = "deploy"  # drafts, deploy, restore, import, copy
    MANAGE = "manage"  # project settings, API key, members, the project's admin pages


ALLOWED_ROLES: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset({Role.VIEWER, Role.EDITOR, Role.OPS}),
    Action.SYNC: frozenset({Role.EDITOR, Role.OPS}),
    Action.DEPLOY: frozenset({Role.EDITOR, Role.OPS}),
    Action.MANAGE: frozenset({Role.OPS}),
}

# What a refusal tells the user the action is.
_DOING = {
    Action.VIEW: "viewing it",
    Action.SYNC: "starting a sync",
    Action.DEPLOY: "changing its integrations",
    Action.MANAGE: "managing it",
}


def _roles_by_project(user: Any) -> dict[int, str]:
    # Read once per user object, that is once per request, as Django's ModelBackend caches
    # permissions: a page asking for each of its projects costs one query.
    try:
        return user._ampdash_project_roles
    except AttributeError:
        roles = dict(Membership.objects.filter(user=user).values_list("project_id", "role"))
        user._ampdash_project_roles = roles
        return roles


def remember_role(user: Any, project: Project, role: str | None) -> None:
    """Note `user`'s role in `project` as read with it (`integrations.access`), so that
    checking it again in this request costs no query."""
    try:
        user._ampdash_known_roles[project.pk] = role
    except AttributeError:
        user._ampdash_known_roles = {project.pk: role}


def role_of(user: Any, project: Project) -> str | None:
    """The user's Membership.Role value in `project`, None for no membership (or anonymous)."""
    if not user.is_authenticated:
        return None
    known = getattr(user, "_ampdash_known_roles", {})
    if project.pk in known:
        return known[project.pk]
    return _roles_by_project(user).get(project.pk)


def can(user: Any, action: Action | str, project: Project) -> bool:
    """Whether `user` may take `action` in `project`."""
    action = Action(action)
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return role_of(user, project) in ALLOWED_ROLES[action]


def can_anywhere(user: Any, action: Action | str) -> bool:
    """Whether `user` may take `action` in at least one project (superusers: always)."""
    action = Action(action)
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(role in ALLOWED_ROLES[action] for role in _roles_by_project(user).values())


def projects_where(user: Any, action: Action | str) -> QuerySet[Project]:
    """The projects where `user` may take `action`."""
    action = Action(action)
    roles = None if action is Action.VIEW else ALLOWED_ROLES[action]
    return Project.objects.for_user(user, roles=roles)


def require(user: Any, action: Action | str, project: Project) -> None:
    """Raise PermissionDenied (403), naming the role it takes, unless `user` may `action`."""
    action = Action(action)
    if can(user, action, project):
        return
    role = role_of(user, project)
    needed = " or ".join(sorted(ALLOWED_ROLES[action]))
    held = f"Your role in {project.name} is {role}" if role else f"You have no role in {project}"
    raise PermissionDenied(f"{held}; {_DOING[action]} needs the {needed} role.")
