"""The editor's field picker: the provider's fields of an object, as a `<datalist>` to type into."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integrations.access import get_integration_for_user
from integrations.field_picker import field_list_id, provider_fields
from integrations.permissions import Action

MAX_OBJECT_NAME_LENGTH = 200


class FieldPickerForm(forms.Form):
    object = forms.CharField(max_length=MAX_OBJECT_NAME_LENGTH, label="Object")

    def clean_object(self) -> str:
        name = self.cleaned_data["object"]
        if not name.isprintable():
            raise forms.ValidationError("An object name has no control characters.")
        return name


@login_required
@require_GET
def field_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """The `<datalist>` of `?object=`'s fields and a line saying where they come from."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    form = FieldPickerForm(request.GET)
    if not form.is_valid():
        return render(request, "integrations/_field_picker.html", {"form": form}, status=400)
    object_name = form.cleaned_data["object"]
    context = {
        "form": form,
        "integration": integration,
        "list_id": field_list_id(object_name),
        "choices": provider_fields(integration, object_name),
    }
    return render(request, "integrations/_field_picker.html", context)
