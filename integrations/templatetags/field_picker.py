"""`{{ object_name|field_list_id }}`: the id of the field picker's datalist, for `list=`."""

from __future__ import annotations

from django import template

from integrations.field_picker import field_list_id

register = template.Library()
register.filter("field_list_id", field_list_id)
