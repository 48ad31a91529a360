"""A read object's field rows as HTML.

A large integration has over a thousand fields, and the template language spends ~30 µs on
each row's dozen conditions and values (most of a first view of the Read tab). Here each value
is escaped once, as Django's `escape` does (`html.escape`), and the row is the one
`_read.html` showed, cell for cell. The same fields recur across integrations (a thousand
integrations of 300 fields have about 1,300 different rows), so each distinct row is built once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe

from integrations.presenters import FieldRow

register = template.Library()

REQUIRED = '<span class="badge badge-warn">required</span>'
OPTIONAL = '<span class="badge badge-muted">optional</span>'
RENAMED = ' <span class="badge badge-muted">renamed</span>'


@register.simple_tag
def read_field_rows(fields: Iterable[FieldRow], where_used_url: str) -> SafeString:
    """`<tr>` per field: required or optional, the provider field, where it lands."""
    rows = "\n".join(
        _row_html(
            (
                row.required,
                row.user_picked,
                row.field_name,
                row.map_to_name,
                row.map_to_display_name,
                row.prompt,
                row.default,
            ),
            where_used_url,
        )
        for row in fields
    )
    return mark_safe(rows)  # noqa: S308 (every value escaped in _row_html)


@functools.lru_cache(maxsize=10_000)
def _row_html(shown: tuple[bool, bool, str, str, str, str, str], where_used_url: str) -> str:
    """The row of a `FieldRow` made of `shown`, its fields in order but its origin (not shown)."""
    row = FieldRow(*shown)
    where = escape(where_used_url)
    return (
        f"<tr><td>{REQUIRED if row.required else OPTIONAL}</td>"
        f"<td>{_provider_field(row, where)}</td><td>{_lands_as(row, where)}</td></tr>"
    )


def _provider_field(row: FieldRow, where: str) -> str:
    if row.user_picked:
        html = '<span class="badge badge-info">picked by the customer</span>'
        if row.prompt:
            html += f' <span class="field-prompt"><bdi>{escape(row.prompt)}</bdi></span>'
        if row.default:
            html += (
                f' <small class="field-default">default <a href="{where}?field='
                f'{escape(quote(row.default))}" title="{escape(row.default)}">'
                f"<bdi>{escape(row.default_label)}</bdi></a></small>"
            )
        return html
    name = escape(row.field_name)
    link = f"{where}?field={escape(quote(row.field_name))}"
    if row.field_is_path:
        return (
            f'<a href="{link}" title="{name}"><bdi>{escape(row.field_label)}</bdi></a> '
            f'<code class="raw-name"><bdi>{name}</bdi></code>'
        )
    return f'<a href="{link}"><code><bdi>{name}</bdi></code></a>'


def _lands_as(row: FieldRow, where: str) -> str:
    name = row.destination_name
    html = (
        f'<a href="{where}?map_to={escape(quote(name))}"><code><bdi>{escape(name)}</bdi></code></a>'
    )
    if row.map_to_display_name:
        html += f' <span class="muted"><bdi>{escape(row.map_to_display_name)}</bdi></span>'
    if row.map_to_name and not row.user_picked:
        html += RENAMED
    return html
