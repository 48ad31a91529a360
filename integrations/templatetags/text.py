"""Remote strings where `<bdi>` cannot go."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


@register.filter
def isolate(value: Any) -> str:
    """`value` as a directional isolate (U+2068 ... U+2069), for text such as a page's
    `<title>` where no element may wrap it: its bidi controls then reorder nothing around it."""
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
