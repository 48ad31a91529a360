"""Deploys through the JSON API: the same service as the pages, for scripts and CI."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from integrations.access import get_project_for_user
from integrations.api.schema import RETRY_AFTER, answers
from integrations.api.serializers import ProjectRefSerializer
from integrations.api.views import ApiView
from integrations.deploy.service import DeployBusy, base_revisions_problem, deploy
from integrations.models import DeployRecord
from integrations.permissions import Action

# amp.yaml texts beyond this are refused before anything parses them (the emulator's limit).
MAX_AMP_YAML_CHARS = 1024 * 1024

STATUS_OF_OUTCOME = {
    DeployRecord.Outcome.SUCCEEDED: status.HTTP_201_CREATED,
    DeployRecord.Outcome.INVALID: status.HTTP_422_UNPROCESSABLE_ENTITY,
    DeployRecord.Outcome.CONFLICT: status.HTTP_409_CONFLICT,
    DeployRecord.Outcome.FAILED: status.HTTP_502_BAD_GATEWAY,
    # Only an idempotent replay of an attempt still under way answers this.
    DeployRecord.Outcome.RUNNING: status.HTTP_202_ACCEPTED,
}
DETAIL_OF_OUTCOME = {
    DeployRecord.Outcome.SUCCEEDED: "Deployed.",
    DeployRecord.Outcome.INVALID: "The amp.yaml breaks Ampersand's rules; nothing was sent.",
    DeployRecord.Outcome.CONFLICT: "Changed at Ampersand since your base revision; nothing was "
    "sent. Review the remote change, then deploy from the new revision.",
    DeployRecord.Outcome.FAILED: "Ampersand refused or failed the deploy.",
    DeployRecord.Outcome.RUNNING: "This deploy is still under way.",
}


class ProblemSerializer(serializers.Serializer):
    title = serializers.CharField()
    detail = serializers.CharField()
    request_id = serializers.CharField()
    issues = serializers.JSONField()


class DeployRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = ProjectRefSerializer()
    user = serializers.CharField(source="user.username", allow_null=True)
    kind = serializers.CharField()
    outcome = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    destructive = serializers.BooleanField()
    base_revisions = serializers.DictField(child=serializers.CharField(allow_null=True))
    revisions = serializers.DictField(source="result_revisions", child=serializers.CharField())
    changes = serializers.JSONField()
    conflicts = serializers.JSONField()
    issues = serializers.JSONField()
    problem = serializers.SerializerMethodField()
    amp_yaml = serializers.CharField()

    @extend_schema_field(ProblemSerializer(allow_null=True))
    def get_problem(self, record: DeployRecord) -> dict[str, Any] | None:
        if not record.problem_title:
            return None
        return {
            "title": record.problem_title,
            "detail": record.problem_detail,
            "request_id": record.problem_request_id,
            "issues": record.problem_issues,
        }


class DeployInput(serializers.Serializer):
    amp_yaml = serializers.CharField(max_length=MAX_AMP_YAML_CHARS, trim_whitespace=False)
    base_revisions = serializers.DictField(
        child=serializers.CharField(allow_null=True, max_length=200)
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    destructive = serializers.BooleanField(required=False, default=False)
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default=""
    )

    def validate_base_revisions(self, value: dict[str, str | None]) -> dict[str, str | None]:
        if problem := base_revisions_problem(value):
            raise serializers.ValidationError(problem)
        return value


class DeployAnswerSerializer(DeployRecordSerializer):
    detail = serializers.CharField()


def _deploy_answer(description: str) -> OpenApiResponse:
    return OpenApiResponse(DeployAnswerSerializer, description=description)


class ProjectDeploysApi(ApiView):
    """GET lists the project's deploy records; POST deploys an amp.yaml (editors)."""

    throttle_scope = "api-actions"

    @extend_schema(
        responses=answers({200: DeployRecordSerializer(many=True)}, 404), parameters=[RETRY_AFTER]
    )
    def get(self, request: Request, pk: int) -> Response:
        project = get_project_for_user(request, pk)
        records = project.deploys.select_related("project", "user")
        return self.paginated(records, DeployRecordSerializer)

    @extend_schema(
        request=DeployInput,
        responses=answers(
            {
                201: _deploy_answer("Deployed: `revisions` names each new revision."),
                202: _deploy_answer("A replay of an idempotency key whose deploy is under way."),
                409: OpenApiResponse(
                    # anyOf, not oneOf: a conflict's record is also a valid bare `detail`.
                    {
                        "anyOf": [
                            {"$ref": "#/components/schemas/DeployAnswer"},
                            {"$ref": "#/components/schemas/Error"},
                        ]
                    },
                    description="A base revision is stale (`conflicts`; nothing was sent), or "
                    "another deploy of the project did not end in time (`detail` only).",
                ),
                422: _deploy_answer("Ampersand's rules refuse the amp.yaml (`issues`)."),
                502: _deploy_answer("Ampersand refused or failed the deploy (`problem`)."),
            },
            400,
            404,
        ),
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request, pk: int) -> Response:
        project = get_project_for_user(request, pk, action=Action.DEPLOY)
        given = DeployInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            record = deploy(
                project=project,
                user=request.user,
                amp_yaml=data["amp_yaml"],
                base_revisions=data["base_revisions"],
                reason=data["reason"],
                destructive=data["destructive"],
                idempotency_key=data["idempotency_key"]
                or request.headers.get("Idempotency-Key", "")[:100],
            )
        except DeployBusy as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        body = {"detail": DETAIL_OF_OUTCOME[record.outcome]}
        body.update(DeployRecordSerializer(record).data)
        return Response(body, status=STATUS_OF_OUTCOME[record.outcome])
