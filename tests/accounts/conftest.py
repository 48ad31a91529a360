# The cast of users lives with the integrations tests; the accounts tests use the same one.
from tests.integrations.conftest import (  # noqa: F401
    editor,
    editor_client,
    other_project,
    outsider,
    outsider_client,
    project,
    superuser,
    viewer,
    viewer_client,
)
