"""The JSON API: the dashboard's data for scripts, scoped to what the user may see.

Every object of a project the user is no member of answers 404, never 403, so ids do not tell
which projects exist. 403 means the user sees the project but their role there does not allow the
request (integrations.permissions); its JSON `detail` names the role needed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse as api_reverse
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from integrations.access import (
    get_integration_for_user,
    get_project_for_user,
    get_sync_run_for_user,
)
from integrations.api.schema import ERRORS, RETRY_AFTER, answers
from integrations.api.serializers import (
    ChangeSerializer,
    IntegrationSerializer,
    ProjectSerializer,
    SnapshotSerializer,
    SnapshotSummarySerializer,
    SnapshotWithRawSerializer,
    SyncRunSerializer,
)
from integrations.api.throttles import ActionRateThrottle
from integrations.models import Integration, Project, Snapshot, SyncRun
from integrations.permissions import Action
from integrations.search import MAX_QUERY_LENGTH
from integrations.sync import SyncAlreadyRunning, fail_dead_sync_runs
from integrations.tasks import start_background_sync


class Pagination(LimitOffsetPagination):
    # Bounded so that no `limit` can overflow the database's LIMIT.
    max_limit = 500


class ApiView(APIView):
    pagination_class = Pagination

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), ActionRateThrottle()]

    def get_authenticate_header(self, request: Request) -> str | None:
        # Without a token the answer stays the session API's 403; a token that fails gets 401
        # and the challenge of the scheme it was sent with.
        scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ")[0].lower()
        for authenticator in self.get_authenticators():
            challenge = authenticator.authenticate_header(request)
            if challenge and challenge.lower() == scheme:
                return challenge
        return None

    def get_view_name(self) -> str:
        return super().get_view_name().removesuffix(" Api")

    def get_renderers(self) -> list[BaseRenderer]:
        # DRF's HTML pages (templates/rest_framework/api.html): a development aid only.
        if settings.DEBUG:
            return [JSONRenderer(), BrowsableAPIRenderer()]
        return [JSONRenderer()]

    def paginated(
        self, queryset: QuerySet[Any], serializer_class: type[serializers.Serializer]
    ) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class VisibleProjectField(serializers.IntegerField):
    """A project id, valid only for a project the requesting user may see."""

    default_error_messages = {"not_visible": "You have no project with id {value}."}

    def to_internal_value(self, data: Any) -> Project:
        pk = super().to_internal_value(data)
        user = self.context["request"].user
        project = Project.objects.for_user(user).filter(pk=pk).first()
        if project is None:
            self.fail("not_visible", value=pk)
        return project


def _projects_for(user: Any) -> QuerySet[Project]:
    latest_run = SyncRun.objects.order_by("-started_at", "-id")[:1]
    return (
        Project.objects.for_user(user)
        .annotate(
            integration_count=Count(
                "integrations", filter=Q(integrations__state=Integration.State.PRESENT)
            )
        )
        .prefetch_related(Prefetch("sync_runs", queryset=latest_run, to_attr="recent_runs"))
        .order_by("name", "pk")
    )


class ApiIndex(ApiView):
    """Where each part of the API lives; open to all, like the schema and its docs."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "ApiIndex",
                {
                    name: serializers.URLField()
                    for name in (
                        "projects",
                        "integrations",
                        "sync_runs",
                        "schema",
                        "docs",
                        "tokens",
                    )
                },
            ),
            401: ERRORS[401],
            429: ERRORS[429],
        },
        parameters=[RETRY_AFTER],
    )
    def get(self, request: Request) -> Response:
        names = {
            "projects": "api:project-list",
            "integrations": "api:integration-list",
            "sync_runs": "api:sync-run-list",
            "schema": "api:schema",
            "docs": "api:docs",
        }
        links = {key: api_reverse(name, request=request) for key, name in names.items()}
        links["tokens"] = request.build_absolute_uri(reverse("api-tokens"))
        return Response(links)


class ProjectListApi(ApiView):
    """The projects you are a member of, with their integration count and last sync."""

    @extend_schema(responses=answers({200: ProjectSerializer(many=True)}), parameters=[RETRY_AFTER])
    def get(self, request: Request) -> Response:
        return self.paginated(_projects_for(request.user), ProjectSerializer)


class ProjectDetailApi(ApiView):
    """One project, with its integration count and last sync."""

    @extend_schema(responses=answers({200: ProjectSerializer}, 404), parameters=[RETRY_AFTER])
    def get(self, request: Request, pk: int) -> Response:
        project = get_object_or_404(_projects_for(request.user), pk=pk)
        return Response(ProjectSerializer(project).data)


class ProjectSyncApi(ApiView):
    """POST starts a sync of the project in the background (202, or 409 if one runs).

    It takes the editor or ops role in the project: a viewer is refused with 403.
    """

    throttle_scope = "api-actions"

    @extend_schema(
        request=None,
        responses=answers(
            {
                202: OpenApiResponse(
                    SyncRunSerializer, description="Started; `Location` is the run's URL."
                ),
                409: OpenApiResponse(
                    inline_serializer(
                        "SyncRunning",
                        {
                            "detail": serializers.CharField(),
                            "running_sync_run": serializers.IntegerField(allow_null=True),
                        },
                    ),
                    description="A sync of the project is already running.",
                ),
            },
            404,
        ),
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request, pk: int) -> Response:
        # Exactly what the Sync now button does, so both are refused alike while a sync runs.
        project = get_project_for_user(request, pk, Action.SYNC)
        try:
            run = start_background_sync(
                project=project, trigger=SyncRun.Trigger.BUTTON, user=request.user
            )
        except SyncAlreadyRunning as error:
            running = project.sync_runs.filter(status=SyncRun.Status.RUNNING).first()
            return Response(
                {"detail": str(error), "running_sync_run": running.pk if running else None},
                status=status.HTTP_409_CONFLICT,
            )
        location = reverse("api:sync-run-detail", args=[run.pk])
        return Response(
            SyncRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class IntegrationListApi(ApiView):
    """Integrations of your projects; filters: project, provider, state, q (name search)."""

    class FilterSerializer(serializers.Serializer):
        # A blank parameter, as an HTML form sends it, means no filter.
        project = VisibleProjectField(required=False, allow_null=True)
        provider = serializers.CharField(required=False, allow_blank=True, max_length=100)
        state = serializers.ChoiceField(
            choices=Integration.State.choices,
            required=False,
            allow_blank=True,
            error_messages={
                "invalid_choice": "Unknown state {input}; use "
                + " or ".join(Integration.State.values)
                + "."
            },
        )
        q = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH)

    @extend_schema(
        parameters=[FilterSerializer, RETRY_AFTER],
        responses=answers({200: IntegrationSerializer(many=True)}, 400),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params, context={"request": request})
        filters.is_valid(raise_exception=True)
        integrations = (
            Integration.objects.for_user(request.user)
            .with_catalog_version()
            .select_related("project", "latest_snapshot")
            # The list never shows the JSON itself.
            .defer("latest_snapshot__raw")
            .order_by("project__name", "name", "pk")
        )
        values = filters.validated_data
        if values.get("project"):
            integrations = integrations.filter(project=values["project"])
        if values.get("provider"):
            integrations = integrations.filter(provider=values["provider"])
        if values.get("state"):
            integrations = integrations.filter(state=values["state"])
        if values.get("q"):
            integrations = integrations.filter(
                Q(name__icontains=values["q"]) | Q(display_name__icontains=values["q"])
            )
        return self.paginated(integrations, IntegrationSerializer)


class IntegrationDetailApi(ApiView):
    """One integration, with its latest snapshot's JSON exactly as the API returned it."""

    class OutputSerializer(IntegrationSerializer):
        class Meta:
            ref_name = "IntegrationDetail"

        latest_snapshot = SnapshotWithRawSerializer(allow_null=True)

    @extend_schema(responses=answers({200: OutputSerializer}, 404), parameters=[RETRY_AFTER])
    def get(self, request: Request, pk: int) -> Response:
        integration = get_integration_for_user(request, pk)
        return Response(self.OutputSerializer(integration).data)


class SnapshotListApi(ApiView):
    """Every kept version of an integration, newest first."""

    @extend_schema(
        responses=answers({200: SnapshotSerializer(many=True)}, 404), parameters=[RETRY_AFTER]
    )
    def get(self, request: Request, pk: int) -> Response:
        integration = get_integration_for_user(request, pk)
        snapshots = (
            integration.snapshots.select_related("taken_by")
            .defer("raw")
            .order_by("-taken_at", "-id")
        )
        return self.paginated(snapshots, SnapshotSerializer)


class SnapshotDetailApi(ApiView):
    """One version of an integration, with its JSON and manifest content."""

    class OutputSerializer(SnapshotSerializer):
        class Meta:
            ref_name = "SnapshotDetail"

        integration = serializers.IntegerField(source="integration_id")
        raw = serializers.JSONField()
        content = serializers.JSONField()

    @extend_schema(responses=answers({200: OutputSerializer}, 404), parameters=[RETRY_AFTER])
    def get(self, request: Request, pk: int, snapshot_pk: int) -> Response:
        integration = get_integration_for_user(request, pk)
        snapshot = get_object_or_404(
            integration.snapshots.select_related("taken_by"), pk=snapshot_pk
        )
        return Response(self.OutputSerializer(snapshot).data)


class SnapshotOfField(serializers.IntegerField):
    """A snapshot id, valid only for a snapshot of the integration in the context."""

    default_error_messages = {"not_found": "Integration {integration} has no snapshot {value}."}

    def to_internal_value(self, data: Any) -> Snapshot:
        pk = super().to_internal_value(data)
        integration = self.context["integration"]
        snapshot = integration.snapshots.filter(pk=pk).first()
        if snapshot is None:
            self.fail("not_found", integration=integration.pk, value=pk)
        return snapshot


class IntegrationDiffApi(ApiView):
    """What changed between two snapshots (`from`, `to`); by default the last two."""

    class InputSerializer(serializers.Serializer):
        def get_fields(self) -> dict[str, serializers.Field]:
            # `from` is a Python keyword, so it cannot be declared as a class attribute.
            return {
                "from": SnapshotOfField(required=False, allow_null=True),
                "to": SnapshotOfField(required=False, allow_null=True),
            }

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            older, newer = attrs.get("from"), attrs.get("to")
            if (older is None) != (newer is None):
                raise serializers.ValidationError("Give both from and to, or neither.")
            # As on the diff page: the pair is compared older to newer whatever its order.
            if older and newer and (older.taken_at, older.pk) > (newer.taken_at, newer.pk):
                attrs["from"], attrs["to"] = newer, older
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Diff"

        def get_fields(self) -> dict[str, serializers.Field]:
            return {
                "integration": serializers.IntegerField(),
                "from": SnapshotSummarySerializer(allow_null=True),
                "to": SnapshotSummarySerializer(allow_null=True),
                "summary": serializers.CharField(allow_null=True),
                "changes": ChangeSerializer(many=True),
            }

    @extend_schema(
        parameters=[InputSerializer, RETRY_AFTER],
        responses=answers({200: OutputSerializer}, 400, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        integration = get_integration_for_user(request, pk)
        pair = self.InputSerializer(data=request.query_params, context={"integration": integration})
        pair.is_valid(raise_exception=True)
        older, newer = pair.validated_data.get("from"), pair.validated_data.get("to")
        if older is None:
            latest_two = list(integration.snapshots.order_by("-taken_at", "-id")[:2])
            if len(latest_two) == 2:
                newer, older = latest_two
        diff = newer.cached_diff(older) if older and newer else None
        answer = {
            "integration": integration.pk,
            "from": older,
            "to": newer,
            "summary": diff.summary_line() if diff else None,
            "changes": diff.changes if diff else [],
        }
        return Response(self.OutputSerializer(answer).data)


class SyncRunListApi(ApiView):
    """Syncs of your projects, newest first; filter: project."""

    class FilterSerializer(serializers.Serializer):
        project = VisibleProjectField(required=False, allow_null=True)

    @extend_schema(
        parameters=[FilterSerializer, RETRY_AFTER],
        responses=answers({200: SyncRunSerializer(many=True)}, 400),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params, context={"request": request})
        filters.is_valid(raise_exception=True)
        runs = SyncRun.objects.for_user(request.user).select_related("project", "started_by")
        if filters.validated_data.get("project"):
            runs = runs.filter(project=filters.validated_data["project"])
        return self.paginated(runs.order_by("-started_at", "-id"), SyncRunSerializer)


class SyncRunDetailApi(ApiView):
    """One sync: its progress while it runs, then its outcome."""

    @extend_schema(responses=answers({200: SyncRunSerializer}, 404), parameters=[RETRY_AFTER])
    def get(self, request: Request, pk: int) -> Response:
        run = get_sync_run_for_user(request, pk)
        if run.is_running:
            # As the sync page does: a client polling a run whose worker died sees it fail.
            fail_dead_sync_runs(run.project)
            run.refresh_from_db()
        return Response(SyncRunSerializer(run).data)
