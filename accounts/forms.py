from __future__ import annotations

from datetime import timedelta

from django import forms

EXPIRY_CHOICES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “CI deploy” or “nightly export”."
    )
    expires_in = forms.TypedChoiceField(
        label="Expires in", choices=EXPIRY_CHOICES, coerce=int, initial="30"
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    @property
    def expiry(self) -> timedelta:
        return timedelta(days=self.cleaned_data["expires_in"])
