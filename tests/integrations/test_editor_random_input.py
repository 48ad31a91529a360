# ruff: noqa: F811 (the fixtures imported below are parameters of the same names)
"""Random input to the editor's forms (any text, numbers out of range, junk buttons, broken
formset counts) gets form errors or a save, never a 5xx; and a save never loses what no form
shows (other objects, keys no form knows)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.models import Draft
from tests.integrations.test_editor import HTMX, project, reading, seeded  # noqa: F401
from tests.integrations.test_editor_forms import object_url, open_card

# Examples per run (derandomized in CI, see tests/conftest.py): about 15 s here.
EXAMPLES = 60

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        ["", " ", "-1", "0", "49", "501", "1e9", "99999999999999999999", "*/5 * * * *"]
    ),
    st.sampled_from(["\u202ename", "a\nb", "<script>alert(1)</script>", "' OR 1=1 --"]),
)
SETTINGS = (
    "object_name",
    "destination",
    "schedule",
    "map_to_name",
    "map_to_display_name",
    "delivery_mode",
    "page_size",
    "backfill",
    "backfill_days",
    "always_enabled",
)
ROW = ("required", "field_name", "map_to_name", "map_to_display_name", "prompt", "default")
actions = st.one_of(
    st.sampled_from(["", "add-field", "add-mapping", "remove-object", "up:0", "down:1"]),
    st.builds(lambda verb, at: f"{verb}:{at}", st.sampled_from(["remove", "up", "down"]), texts),
    texts,
)


def browser_safe(value: str) -> str:
    # A form posts UTF-8: a lone surrogate cannot be sent, a browser sends U+FFFD instead.
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")


@settings(max_examples=EXAMPLES)
@given(
    changes=st.dictionaries(st.sampled_from(SETTINGS), texts, max_size=4),
    row_changes=st.dictionaries(st.tuples(st.integers(0, 3), st.sampled_from(ROW)), texts),
    total=st.one_of(st.none(), texts),
    action=actions,
    htmx=st.booleans(),
)
def test_random_form_input_gets_an_answer_and_keeps_what_no_form_shows(
    project, editor, editor_client, changes, row_changes, total, action, htmx
):
    Draft.objects.all().delete()
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["x-team-note"] = "kept"
    content["read"]["objects"][0]["x-object-note"] = "kept too"
    Draft.objects.create(
        integration=integration,
        user=editor,
        content=content,
        base_snapshot=integration.latest_snapshot,
    )
    fields = open_card(editor_client, integration)
    fields.update({f"r0-{name}": browser_safe(value) for name, value in changes.items()})
    fields.update({f"r0f-{at}-{name}": browser_safe(v) for (at, name), v in row_changes.items()})
    if total is not None:
        fields["r0f-TOTAL_FORMS"] = browser_safe(total)
    fields["action"] = browser_safe(action)

    answer = editor_client.post(object_url(integration), fields, **(HTMX if htmx else {}))

    assert answer.status_code < 500
    saved = Draft.objects.get(user=editor).content
    assert saved["x-team-note"] == "kept"
    assert saved["read"]["objects"][1:] == content["read"]["objects"][1:] or action == (
        "remove-object"
    )
    if action != "remove-object":
        assert saved["read"]["objects"][0]["x-object-note"] == "kept too"
