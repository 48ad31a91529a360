"""The Read tab's field rows, built in Python, are the rows its template used to render."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from integrations.presenters import FieldRow

# The row as `_read.html` rendered it with the template language, kept as the reference.
TEMPLATE_ROW = (
    '{% for row in fields %}<tr><td>{% if row.required %}<span class="badge badge-warn">'
    'required</span>{% else %}<span class="badge badge-muted">optional</span>{% endif %}</td>'
    '<td>{% if row.user_picked %}<span class="badge badge-info">picked by the customer</span>'
    '{% if row.prompt %} <span class="field-prompt"><bdi>{{ row.prompt }}</bdi></span>{% endif %}'
    '{% if row.default %} <small class="field-default">default <a href="{{ where_used_url }}'
    '?field={{ row.default|urlencode }}" title="{{ row.default }}"><bdi>{{ row.default_label }}'
    '</bdi></a></small>{% endif %}{% elif row.field_is_path %}<a href="{{ where_used_url }}'
    '?field={{ row.field_name|urlencode }}" title="{{ row.field_name }}"><bdi>'
    '{{ row.field_label }}</bdi></a> <code class="raw-name"><bdi>{{ row.field_name }}</bdi>'
    '</code>{% else %}<a href="{{ where_used_url }}?field={{ row.field_name|urlencode }}"><code>'
    '<bdi>{{ row.field_name }}</bdi></code></a>{% endif %}</td><td><a href="{{ where_used_url }}'
    '?map_to={{ row.destination_name|urlencode }}"><code><bdi>{{ row.destination_name }}</bdi>'
    '</code></a>{% if row.map_to_display_name %} <span class="muted"><bdi>'
    "{{ row.map_to_display_name }}</bdi></span>{% endif %}{% if row.map_to_name and not "
    'row.user_picked %} <span class="badge badge-muted">renamed</span>{% endif %}</td></tr>'
    "{% if not forloop.last %}\n{% endif %}{% endfor %}"
)
HOSTILE = "<script>alert('x')</script> & \"quoted\" \u202e"

ROWS = [
    FieldRow(required=True, field_name="Name"),
    FieldRow(required=False, field_name="Industry", map_to_name="sector"),
    FieldRow(required=False, field_name=HOSTILE, map_to_name=HOSTILE, map_to_display_name=HOSTILE),
    FieldRow(required=True, field_name="$['address']['city']", map_to_display_name="City"),
    FieldRow(required=False, field_name="$['a&b']['<c>']"),
    FieldRow(
        required=True,
        user_picked=True,
        map_to_name="externalId",
        map_to_display_name="External ID",
        prompt=HOSTILE,
        default="$['x']['y z']",
    ),
    FieldRow(required=False, user_picked=True, map_to_name="plain"),
    FieldRow(required=False, field_name="a b/c?d=e#f", map_to_name="q/r s"),
]


@pytest.mark.parametrize("where_used_url", ["/integrations/where-used/", "/a&b/\"'<x>/"])
def test_the_rows_are_the_templates_rows(where_used_url):
    context = Context({"fields": ROWS, "where_used_url": where_used_url})

    built = Template("{% load field_rows %}{% read_field_rows fields where_used_url %}")

    assert built.render(context) == Template(TEMPLATE_ROW).render(context)


def test_hostile_values_are_escaped():
    html = Template("{% load field_rows %}{% read_field_rows fields '/w/' %}").render(
        Context({"fields": [ROWS[2]]})
    )

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in html


def test_a_row_built_before_shows_the_link_it_is_given_now():
    # Rows are built once per distinct row and link: the same row under another link is not
    # the one built first.
    render = Template("{% load field_rows %}{% read_field_rows fields where %}").render
    row = FieldRow(required=True, field_name="Name", origin="requiredFields:0")
    same_row_elsewhere = FieldRow(required=True, field_name="Name", origin="requiredFields:7")

    first = render(Context({"fields": [row], "where": "/first/"}))
    second = render(Context({"fields": [same_row_elsewhere], "where": "/second/"}))

    assert first == second.replace("/second/", "/first/")
    assert "/first/" not in second
