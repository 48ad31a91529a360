"""The admin site of ampdash, "ampdash ops": who may enter it.

What each user sees and may do inside is decided per project by the ModelAdmins in
`integrations.admin`, through `integrations.permissions`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from integrations.permissions import Action, can_anywhere


def may_enter(user: Any) -> bool:
    """Active superusers, and active users holding the ops role in at least one project."""
    return user.is_active and can_anywhere(user, Action.MANAGE)


class OpsAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, letting in whom `may_enter` lets in, `is_staff` or not."""

    def confirm_login_allowed(self, user: Any) -> None:
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_enter(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class OpsAdminSite(admin.AdminSite):
    """The admin site for ops staff.

    Entry does not depend on `is_staff` nor on Django's model permissions: the ops role is
    granted per project (Membership.role), and a second switch on the user would have to be
    kept in step with the memberships by hand. So superusers enter, and so do active users with
    the ops role in at least one project; each ModelAdmin then shows them only those projects
    and answers its has_*_permission by `can(user, Action.MANAGE, project)`. Models without a
    project (users, groups, tasks) keep Django's model permissions or are for superusers only.
    """

    site_header = "ampdash ops"
    site_title = "ampdash ops"
    index_title = "Projects, members and history"
    login_form = OpsAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return may_enter(request.user)
