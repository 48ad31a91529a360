"""Forms for the dashboard's input, GET filters included."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from dataclasses import field as dataclass_field
from typing import Any, Final
from urllib.parse import urlencode

from django import forms
from django.forms.fields import InvalidJSONInput
from django.urls import reverse

from integrations.ampersand.manifest import (
    Catalog,
    Severity,
    ValidationIssue,
    build_manifest_yaml,
    validate_manifest,
)
from integrations.ampersand.manifest.catalog import Action as CatalogAction
from integrations.ampersand.manifest.validator import MAX_STRING_LENGTHS
from integrations.cron import describe_cron
from integrations.deploy.service import base_revisions_problem
from integrations.editing import (
    FIELD_LISTS,
    Backfill,
    FieldRow,
    apply_read_object_settings,
    apply_subscribe_object_settings,
    apply_write_object_settings,
    move_item,
    new_subscribe_object,
    new_write_object,
    place_issues,
    read_object_settings,
    row_path,
    section_objects,
    set_field_rows,
    set_section_objects,
    set_watch_schema,
    subscribe_object_settings,
    watch_schema_settings,
    write_object_settings,
)
from integrations.models import Integration, Project, SearchIndex, Snapshot
from integrations.permissions import Action, projects_where
from integrations.presenters import field_rows
from integrations.search import MAX_QUERY_LENGTH, normalise_query

# Far past any real page; keeps the database's OFFSET within range whatever is typed.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class SortKey:
    label: str
    # In SQL, of the list's query (views/listing.py): `i` the integration, `s` its latest
    # snapshot, `p` its project.
    column: str
    descending_first: bool = False
    numeric: bool = False


SORT_KEYS: dict[str, SortKey] = {
    "name": SortKey("Name", "i.name"),
    "provider": SortKey("Provider", "i.provider"),
    "project": SortKey("Project", "p.name"),
    "revision": SortKey("Revision", "s.revision_created_at", True),
    "read": SortKey("Read", "s.read_count", True, numeric=True),
    "write": SortKey("Write", "s.write_count", True, numeric=True),
    "subscribe": SortKey("Subscribe", "s.subscribe_count", True, numeric=True),
    "changed": SortKey("Last change", "s.taken_at", True),
}
DEFAULT_SORT = "name"
FILTER_FIELDS = ("q", "project", "provider", "state", "has_write", "has_subscribe", "has_proxy")
SORT_CHOICES = [(key, key) for key in SORT_KEYS] + [(f"-{key}", f"-{key}") for key in SORT_KEYS]


# The projects (pk, name) and the providers (slug, name) the list can be filtered by.
FilterChoices = tuple[list[tuple[int, str]], list[tuple[str, str]]]


@dataclass(frozen=True)
class SortColumn:
    """A sortable column header: where clicking it leads, and how the list is sorted now."""

    key: str
    label: str
    url: str
    direction: str | None  # "ascending", "descending" or None when not sorted by it
    numeric: bool


@dataclass(frozen=True)
class IntegrationListQuery:
    """What the integrations list shows: valid filters, sort and page, defaults for the rest."""

    q: str = ""
    project: Project | None = None
    provider: str = ""
    state: str = ""
    has_write: bool = False
    has_subscribe: bool = False
    has_proxy: bool = False
    sort: str = DEFAULT_SORT
    page: int = 1

    @property
    def reads_snapshots(self) -> bool:
        """Whether a filter reads snapshots or their search texts, costly to run twice."""
        return bool(self.q) or self.has_write or self.has_subscribe or self.has_proxy

    @property
    def is_filtered(self) -> bool:
        filters = (self.q, self.project, self.provider, self.state)
        return any(filters) or self.has_write or self.has_subscribe or self.has_proxy

    def where(self) -> tuple[list[str], list[Any]]:
        """The filters as SQL conditions on the tables of `tables`, and their parameters."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.q:
            condition, words = SearchIndex.matching("i.latest_snapshot_id", self.q)
            conditions.append(condition)
            params += words
        for condition, value in (
            ("i.project_id = %s", self.project.pk if self.project else None),
            ("i.provider = %s", self.provider),
            ("i.state = %s", self.state),
        ):
            if value:
                conditions.append(condition)
                params.append(value)
        for flag, condition in (
            (self.has_write, "s.write_count > 0"),
            (self.has_subscribe, "s.subscribe_count > 0"),
            (self.has_proxy, "s.has_proxy"),
        ):
            if flag:
                conditions.append(condition)
        return conditions, params

    def tables(self) -> str:
        """The integrations `i`, with their latest snapshots `s` and their projects `p` where
        the filters or the order read them."""
        tables = [f"{Integration._meta.db_table} i"]
        column = SORT_KEYS[self.sort.removeprefix("-")].column
        if self.has_write or self.has_subscribe or self.has_proxy or column.startswith("s."):
            tables.append(f"LEFT JOIN {Snapshot._meta.db_table} s ON s.id = i.latest_snapshot_id")
        if column.startswith("p."):
            tables.append(f"JOIN {Project._meta.db_table} p ON p.id = i.project_id")
        return " ".join(tables)

    def order_by(self) -> str:
        """The order as SQL (see `where`): the chosen column, then name and id, which break
        ties so that pages never overlap or skip a row."""
        key = self.sort.removeprefix("-")
        column = SORT_KEYS[key].column
        first = f"{column} DESC NULLS LAST" if self.sort.startswith("-") else f"{column} ASC"
        return f"{first}, i.name ASC, i.id ASC" if key != "name" else f"{first}, i.id ASC"

    def params(self, **changes: Any) -> dict[str, str]:
        """The query parameters for this query with `changes`, defaults left out."""
        query = replace(self, **changes) if changes else self
        params: dict[str, str] = {}
        for field in fields(query):
            name = field.name
            value = getattr(query, name)
            if name == "project":
                value = query.project.pk if query.project else None
            if value == getattr(IntegrationListQuery, name, None) or value in ("", None, False):
                continue
            params[name] = "1" if value is True else str(value)
        return params

    def url(self, **changes: Any) -> str:
        return _with_params(reverse("integrations:list"), self.params(**changes))

    def page_url(self, number: int) -> str:
        return self.url(page=number)

    def sort_columns(self) -> dict[str, SortColumn]:
        """Each sortable column's header; clicking the current one reverses the order."""
        columns = {}
        list_url = reverse("integrations:list")
        # Every link is to the first page and keeps the filters; `params` puts the sort after
        # them, so it is added last.
        unsorted = self.params(sort=DEFAULT_SORT, page=1)
        current_key = self.sort.removeprefix("-")
        descending_now = self.sort.startswith("-")
        for key, sort_key in SORT_KEYS.items():
            if key == current_key:
                direction = "descending" if descending_now else "ascending"
                next_sort = key if descending_now else f"-{key}"
            else:
                direction = None
                next_sort = f"-{key}" if sort_key.descending_first else key
            columns[key] = SortColumn(
                key=key,
                label=sort_key.label,
                url=_with_params(
                    list_url,
                    unsorted if next_sort == DEFAULT_SORT else {**unsorted, "sort": next_sort},
                ),
                direction=direction,
                numeric=sort_key.numeric,
            )
        return columns


def _with_params(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _sort_or_default(value: str) -> str:
    return value or DEFAULT_SORT


def _page_number(value: str) -> int:
    value = value.strip()
    if not value.isdecimal():
        return 1
    # A page past the end shows the last one, however many digits it was given with.
    return MAX_PAGE if len(value) > len(str(MAX_PAGE)) else min(max(1, int(value)), MAX_PAGE)


# How the list's form normalises a parameter once its field has read it, in its clean_<name>
# and in `read_params` alike.
NORMALISE: Final[dict[str, Any]] = {
    "q": normalise_query,
    "sort": _sort_or_default,
    "page": _page_number,
}


class IntegrationFilterForm(forms.Form):
    """The list's search, filters, sort and page, read from the query string.

    A value that does not validate is left out of the query and reported, never an error page.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        strip=True,
        widget=forms.SearchInput(
            attrs={
                "placeholder": "Name, object, field or mapToName…",
                "maxlength": MAX_QUERY_LENGTH,
                "autocomplete": "off",
                "hx-trigger": "input changed delay:300ms, search",
            }
        ),
    )
    project = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "You have no project with id %(value)s."},
    )
    provider = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "None of your integrations uses provider %(value)s."},
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), *Integration.State.choices],
        error_messages={"invalid_choice": "Unknown state %(value)s."},
    )
    has_write = forms.BooleanField(label="Has write", required=False)
    has_subscribe = forms.BooleanField(label="Has subscribe", required=False)
    has_proxy = forms.BooleanField(label="Has proxy", required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=SORT_CHOICES,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Unknown sort order %(value)s."},
    )
    # Never rendered: changing a filter starts again from the first page.
    page = forms.CharField(required=False)

    def __init__(
        self,
        data: Any,
        *,
        projects: list[Project],
        providers: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.projects_by_pk = {project.pk: project for project in projects}
        self.fields["project"].choices = [
            ("", "All projects"),
            *((project.pk, project.name) for project in projects),
        ]
        self.fields["provider"].choices = [
            ("", "All providers"),
            *providers,
        ]
        # Each control asks for the results itself; the form's hx-include sends all of them.
        list_url = reverse("integrations:list")
        for name in FILTER_FIELDS:
            self.fields[name].widget.attrs["hx-get"] = list_url

    @classmethod
    def for_user(
        cls,
        data: Any,
        user: Any,
        *,
        catalogs: Mapping[int, Catalog],
        choices: FilterChoices | None = None,
    ) -> IntegrationFilterForm:
        """The form with the projects and providers `user` may filter by: `choices`, as
        `filter_choices` read them, or read now (one query)."""
        projects, providers = choices or cls.filter_choices(user, catalogs=catalogs)
        form = cls(
            data,
            projects=[Project(pk=pk, name=name) for pk, name in projects],
            providers=providers,
        )
        form.catalogs = catalogs
        return form

    @staticmethod
    def filter_choices(user: Any, *, catalogs: Mapping[int, Catalog]) -> FilterChoices:
        """The projects (pk, name) and providers (slug, name) `user` may filter by, in one query.

        Providers are named by the catalog of each project's API (`catalogs`, by project id);
        where two catalogs name one provider differently, the first project's name shows.
        """
        rows = (
            Project.objects.for_user(user)
            .values_list("pk", "name", "integrations__provider")
            .order_by("name", "pk", "integrations__provider")
            .distinct()
        )
        projects: dict[int, str] = {}
        providers: dict[str, str] = {}
        for pk, name, provider in rows:
            projects.setdefault(pk, name)
            if provider and provider not in providers:
                providers[provider] = catalogs[pk].display_name(provider)
        choices = sorted(providers.items(), key=lambda choice: (choice[1].casefold(), choice[0]))
        return list(projects.items()), choices

    @classmethod
    def read_params(cls, data: Any) -> dict[str, str]:
        """What the list reads of `data`, without a query: the parameters it knows, each
        normalised as the form cleans it, defaults left out, in the fields' order.

        The choices of projects and providers are not checked here (they need the user's
        projects): a value they refuse stays in, and is refused when the page is rendered.
        The list's cache keys on this, so ignored or respelled input makes no new entry.
        """
        # The class's fields, only read: a form instance would copy them all first.
        params = {}
        for name, field in cls.base_fields.items():
            value = field.to_python(field.widget.value_from_datadict(data, {}, name))
            if normalise := NORMALISE.get(name):
                value = normalise(value)
            if value == getattr(IntegrationListQuery, name) or value in ("", None, False):
                continue
            params[name] = "1" if value is True else str(value)
        return params

    def clean_q(self) -> str:
        return NORMALISE["q"](self.cleaned_data["q"])

    def clean_sort(self) -> str:
        return NORMALISE["sort"](self.cleaned_data["sort"])

    def clean_page(self) -> int:
        return NORMALISE["page"](self.cleaned_data["page"])

    def list_query(self) -> IntegrationListQuery:
        """The valid part of the input; a field that did not validate keeps its default."""
        self.is_valid()
        values = {
            name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data
        }
        if values.get("project") is not None:
            values["project"] = self.projects_by_pk[values["project"]]
        values = {name: value for name, value in values.items() if value is not None}
        return IntegrationListQuery(**values)

    def filters_key(self) -> str:
        """A digest of all the filter controls' HTML depends on: choices, values, errors."""
        state = (
            self.fields["project"].choices,
            self.fields["provider"].choices,
            [(name, self[name].value()) for name in FILTER_FIELDS if name != "q"],
            sorted(self.errors),
        )
        return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()

    def ignored_input(self) -> list[str]:
        """One sentence per parameter that was left out of the query, for the page to show."""
        return [f"{error} It was ignored." for errors in self.errors.values() for error in errors]


# --- Deploys ------------------------------------------------------------------------------------

# The emulator's and ampdash's limit on an amp.yaml text.
MAX_AMP_YAML_BYTES = 1024 * 1024


class HiddenJSONField(forms.JSONField):
    """JSON in a hidden input, written back in ASCII: what a user sent is shown again as sent,
    a lone surrogate's escape included, which no UTF-8 page can hold."""

    widget = forms.HiddenInput

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, cls=self.encoder)


class DeployForm(forms.Form):
    """The confirmation of a previewed deploy: the bases it was previewed against, and why."""

    base_revisions = HiddenJSONField()
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    # The digest of the amp.yaml previewed (see `amp_yaml_digest`): a deploy sends only that.
    previewed = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the deploy record, for whoever reads the history.",
    )
    destructive = forms.BooleanField(
        required=False,
        label="Destructive: pause reading the objects this removes",
        help_text="Without it, Ampersand keeps reading removed objects for existing customers.",
    )

    def clean_base_revisions(self) -> dict[str, str | None]:
        value = self.cleaned_data["base_revisions"]
        if base_revisions_problem(value):
            raise forms.ValidationError("The preview's base revisions are malformed.")
        return value


def amp_yaml_digest(amp_yaml: str) -> str:
    return hashlib.sha256(amp_yaml.encode("utf-8", "surrogatepass")).hexdigest()


class ImportForm(forms.Form):
    text = forms.CharField(
        required=False,
        strip=False,
        label="amp.yaml",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
    )
    file = forms.FileField(required=False, label="…or upload a file")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_AMP_YAML_BYTES:
                raise forms.ValidationError("The file is larger than 1 MB.")
            try:
                cleaned["amp_yaml"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        elif cleaned.get("text", "").strip():
            if len(cleaned["text"].encode()) > MAX_AMP_YAML_BYTES:
                raise forms.ValidationError("The text is larger than 1 MB.")
            cleaned["amp_yaml"] = cleaned["text"]
        else:
            raise forms.ValidationError("Paste an amp.yaml or choose a file.")
        return cleaned


class CopyTargetForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Project.objects.none(), label="Copy to project", empty_label=None
    )

    def __init__(self, *args: Any, user: Any, source: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = projects_where(user, Action.DEPLOY).exclude(pk=source.pk)


# --- Drafts -------------------------------------------------------------------------------------


class DraftTextForm(forms.Form):
    """The draft's amp.yaml as typed: kept whatever it holds, so only its size is checked."""

    text = forms.CharField(
        required=False,
        strip=False,
        label="amp.yaml",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text.encode("utf-8", "surrogatepass")) > MAX_AMP_YAML_BYTES:
            raise forms.ValidationError("The amp.yaml is larger than 1 MB: not saved.")
        return text


def _one_line(value: str) -> str:
    if any(ord(char) < 32 for char in value):
        raise forms.ValidationError("One line of text, please.")
    return value


class OneLineField(forms.CharField):
    """A short text of one line; blank allowed (the key is then left out)."""

    def __init__(self, label: str, *, max_length: int = 1000, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(label=label, max_length=max_length, **kwargs)
        self.validators.append(_one_line)


@dataclass
class Slot:
    """Where a form field's errors and the validator's issues about it are shown."""

    id: str
    errors: list[str] = dataclass_field(default_factory=list)
    issues: list[ValidationIssue] = dataclass_field(default_factory=list)
    note: str = ""


def tie(field: forms.Field, slot: Slot) -> None:
    """Tie `field`'s input to its slot, so a screen reader reads its errors with it."""
    field.widget.attrs["aria-describedby"] = slot.id
    if slot.errors or any(issue.severity == "error" for issue in slot.issues):
        field.widget.attrs["aria-invalid"] = "true"


def offer_names(form: forms.Form, name: str, names: list[str] | None, blank: str) -> None:
    """Show the field `name` as a select of `names` (its current value kept among them) when
    they are known, as a text input otherwise. Any text still validates: the validator judges
    whether the name exists."""
    if names is None:
        return
    current = str(form.initial.get(name) or form.data.get(form.add_prefix(name), ""))
    known = [*names, *([current] if current not in ["", *names] else [])]
    form.fields[name].widget = forms.Select(
        choices=[("", blank)] + [(known_name, known_name) for known_name in known]
    )


class NameListField(forms.CharField):
    """Names separated by commas or new lines, cleaned to a list; blank is none."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(label=label, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        if len(text) > 10_000:
            raise forms.ValidationError("Too long: at most 10,000 characters.")
        return [name.strip() for name in re.split(r"[,\n]", text) if name.strip()]


class IntegrationForm(forms.Form):
    """The integration's display name, module and proxy: only what the provider offers."""

    display_name = OneLineField(
        "Display name",
        help_text="What customers see when they install the integration. Blank: its name.",
    )
    module = forms.ChoiceField(
        required=False,
        label="Module",
        help_text="Which of the provider's APIs this integration uses. Blank: the default one.",
    )
    proxy = forms.TypedChoiceField(
        required=False,
        label="Proxy",
        help_text="Lets your app call the provider's API through Ampersand.",
        choices=[("on", "On"), ("off", "Off")],
        coerce=lambda value: value == "on",
        empty_value=None,
    )

    def __init__(
        self, *args: Any, modules: list[str], current_module: str, offers_proxy: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        known = [*modules, *([current_module] if current_module not in ["", *modules] else [])]
        if known:
            self.fields["module"].choices = [("", "The provider's default")] + [
                (name, name) for name in known
            ]
        else:
            del self.fields["module"]
        if not offers_proxy:
            del self.fields["proxy"]

    def slots(self, issues: list[ValidationIssue]) -> tuple[list[tuple[Any, Slot]], Slot]:
        """Each field with its slot, and the card's slot for the rest: the integration's own
        issues and the document's. Those of sections with forms of their own are left out."""
        placed = place_issues(issues, "integrations[0]", [*INTEGRATION_SLOTS.values(), *SECTIONS])
        for section in SECTIONS:
            whole = "integrations[0].read.objects"  # the list itself: no form of its own
            rest = [issue for issue in placed.pop(section, []) if issue.path == whole]
            placed[""] = placed.get("", []) + rest
        fields = [
            (
                self[name],
                Slot(
                    id=f"integration-{name}",
                    errors=list(self.errors.get(name, [])) if self.is_bound else [],
                    issues=placed.pop(path, []),
                ),
            )
            for name, path in INTEGRATION_SLOTS.items()
            if name in self.fields
        ]
        for bound, slot in fields:
            tie(bound.field, slot)
        outside = [issue for issue in issues if not issue.path.startswith("integrations[0]")]
        general = Slot(
            id="integration-general",
            errors=list(self.non_field_errors()) if self.is_bound else [],
            issues=outside + [issue for rest in placed.values() for issue in rest],
        )
        return fields, general


INTEGRATION_SLOTS: Final = {"display_name": "displayName", "module": "module", "proxy": "proxy"}
# The parts of an integration whose issues their own forms show.
SECTIONS: Final = ("read.objects", "write", "subscribe", "watchSchema")


class AddReadObjectForm(forms.Form):
    object_name = OneLineField("Object", max_length=200, required=True)
    destination = OneLineField("Destination", max_length=200)
    schedule = OneLineField("Schedule (cron)", max_length=200, initial="*/30 * * * *")

    def __init__(self, *args: Any, destinations: list[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_names(self, "destination", destinations, "Choose one")


class ReadObjectForm(forms.Form):
    """A read object's settings; the validator judges the values, this form only their type."""

    object_name = OneLineField("Object", max_length=200, required=True)
    destination = OneLineField("Destination", max_length=200)
    schedule = OneLineField(
        "Schedule (cron)", max_length=200, help_text="Five fields: minute hour day month weekday."
    )
    map_to_name = OneLineField("Map to object name", max_length=200)
    map_to_display_name = OneLineField("Map to display name", max_length=200)
    delivery_mode = forms.ChoiceField(
        required=False,
        label="Delivery",
        help_text="Default: automatic.",
        choices=[
            ("", "Default"),
            ("auto", "Automatic"),
            ("onRequest", "On request"),
        ],
    )
    page_size = forms.IntegerField(
        required=False, label="Page size", help_text="Records per delivery, 50 to 500."
    )
    always_enabled = forms.BooleanField(
        required=False, label="Always read, even when a customer does not select it"
    )
    optional_fields_auto = forms.BooleanField(
        required=False, label="Offer every other field of the object as optional"
    )
    backfill = forms.ChoiceField(
        label="Backfill",
        choices=[
            (Backfill.NONE, "None: only new changes"),
            (Backfill.DAYS, "The last N days"),
            (Backfill.FULL, "Full history"),
        ],
        widget=forms.RadioSelect,
    )
    backfill_days = forms.IntegerField(required=False, label="Days to backfill")

    def __init__(self, *args: Any, destinations: list[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_names(self, "destination", destinations, "Choose one")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("backfill") == Backfill.DAYS and cleaned.get("backfill_days") is None:
            self.add_error("backfill_days", "How many days? A whole number, e.g. 30.")
        if cleaned.get("backfill") != Backfill.DAYS:
            cleaned["backfill_days"] = None
        return cleaned


class FieldRowForm(forms.Form):
    """One field of a read object: the provider's field and where it maps, or a mapping the
    customer picks (no field name: a prompt and a default)."""

    REQUIRED = "required"
    OPTIONAL = "optional"

    required = forms.TypedChoiceField(
        label="Required or optional",
        choices=[(REQUIRED, "Required"), (OPTIONAL, "Optional")],
        coerce=lambda value: value == FieldRowForm.REQUIRED,
    )
    field_name = OneLineField("Field", max_length=500)
    map_to_name = OneLineField("Maps to", max_length=500)
    map_to_display_name = OneLineField("Display name", max_length=500)
    prompt = OneLineField("Prompt", max_length=1000)
    default = OneLineField("Default", max_length=1000)
    origin = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def row(self) -> FieldRow:
        return FieldRow(**self.cleaned_data, user_picked=not self.cleaned_data["field_name"])


FieldRowFormSet = forms.formset_factory(FieldRowForm, extra=0, max_num=1000, absolute_max=1000)


def field_row_initial(row: FieldRow) -> dict[str, Any]:
    return {
        "required": FieldRowForm.REQUIRED if row.required else FieldRowForm.OPTIONAL,
        "field_name": row.field_name,
        "map_to_name": row.map_to_name,
        "map_to_display_name": row.map_to_display_name,
        "prompt": row.prompt,
        "default": row.default,
        "origin": row.origin,
    }


class AddFieldForm(forms.Form):
    new_field = OneLineField("Add a field", max_length=500)
    new_required = forms.BooleanField(required=False, label="Required")


class RebaseForm(forms.Form):
    """One choice per conflict: keep the draft's value, or take the teammate's."""

    MINE = "mine"
    REMOTE = "remote"

    def __init__(self, *args: Any, conflicts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflicts = conflicts
        for conflict in conflicts:
            self.fields[conflict.key] = forms.ChoiceField(
                label=conflict.label,
                choices=[(self.MINE, "Keep mine"), (self.REMOTE, "Take theirs")],
                initial=self.MINE,
                widget=forms.RadioSelect,
            )

    def take_remote(self) -> list[str]:
        return [key for key, choice in self.cleaned_data.items() if choice == self.REMOTE]


# A read object's settings form field -> the manifest path (from the object) it edits.
READ_SLOTS: Final = {
    "object_name": "objectName",
    "destination": "destination",
    "schedule": "schedule",
    "map_to_name": "mapToName",
    "map_to_display_name": "mapToDisplayName",
    "delivery_mode": "delivery",
    "page_size": "delivery.pageSize",
    "always_enabled": "enabled",
    "optional_fields_auto": "optionalFieldsAuto",
    "backfill": "backfill",
    "backfill_days": "backfill.defaultPeriod",
}


@dataclass
class ReadObjectSlots:
    settings: dict[str, Slot]
    rows: list[Slot]
    lists: Slot
    general: Slot
    add: Slot

    def __iter__(self) -> Iterator[Slot]:
        yield from self.settings.values()
        yield from self.rows
        yield self.lists
        yield self.general
        yield self.add


class ReadObjectEditor:
    """One read object's forms (its settings, its field rows, the add-a-field form), and
    where the validator's issues about it are shown.

    `index` is the object's place in the draft; each form is prefixed with it, so several
    objects may be open on one page.
    """

    def __init__(
        self,
        index: int,
        obj: dict[str, Any],
        *,
        data: Any = None,
        destinations: list[str] | None = None,
    ) -> None:
        self.index = index
        self.obj = obj
        self.object_key = str(obj.get("objectName", ""))
        self.stored_rows = field_rows(obj)
        self.settings = ReadObjectForm(
            data,
            prefix=f"r{index}",
            initial=read_object_settings(obj),
            destinations=destinations,
        )
        self.fields = FieldRowFormSet(
            data,
            prefix=f"r{index}f",
            initial=[field_row_initial(row) for row in self.stored_rows],
        )
        self.add_field = AddFieldForm(data, prefix=f"r{index}n")

    @property
    def id(self) -> str:
        return f"read-{self.index}"

    def is_valid(self) -> bool:
        return all([self.settings.is_valid(), self.fields.is_valid(), self.add_field.is_valid()])

    def rows(self) -> list[FieldRow]:
        # An extra row left empty (a count above the rows sent) is no field: Django cleans
        # nothing in it.
        return [form.row() for form in self.fields.forms if form.cleaned_data]

    def changed(self, rows: list[FieldRow]) -> dict[str, Any]:
        """The object with the settings form's values and `rows` as its fields."""
        return set_field_rows(
            apply_read_object_settings(self.obj, self.settings.cleaned_data), rows
        )

    def slots(self, issues: list[ValidationIssue]) -> ReadObjectSlots:
        """Each form field's slot and each row's, with their errors and issues (those of the
        draft as stored, whose rows are `stored_rows`)."""
        row_paths = [row_path(self.stored_rows, at) for at in range(len(self.stored_rows))]
        placed = place_issues(
            issues,
            f"integrations[0].read.objects[{self.index}]",
            [*READ_SLOTS.values(), *FIELD_LISTS, *row_paths],
        )
        settings = {
            name: Slot(
                id=f"{self.id}-{name}",
                errors=list(self.settings.errors.get(name, [])) if self.settings.is_bound else [],
                issues=placed.pop(path, []),
            )
            for name, path in READ_SLOTS.items()
        }
        for name, slot in settings.items():
            tie(self.settings.fields[name], slot)
        schedule = self.settings["schedule"].value()
        settings["schedule"].note = describe_cron(schedule) if schedule else ""
        forms_ = self.fields.forms
        rows = [
            Slot(
                id=f"{self.id}-row-{at}",
                errors=[error for errors in forms_[at].errors.values() for error in errors]
                if at < len(forms_) and forms_[at].is_bound
                else [],
                issues=placed.pop(path, []),
            )
            for at, path in enumerate(row_paths)
        ]
        for form, slot in zip(forms_, rows, strict=False):
            for field in form.fields.values():
                tie(field, slot)
        lists = Slot(
            id=f"{self.id}-fields",
            errors=list(self.fields.non_form_errors()) if self.fields.is_bound else [],
            issues=placed.pop("requiredFields", []) + placed.pop("optionalFields", []),
        )
        general = Slot(
            id=f"{self.id}-general",
            errors=list(self.settings.non_field_errors()) if self.settings.is_bound else [],
            issues=[issue for rest in placed.values() for issue in rest],
        )
        add = Slot(
            id=f"{self.id}-add",
            errors=list(self.add_field.errors.get("new_field", []))
            if self.add_field.is_bound
            else [],
        )
        return ReadObjectSlots(settings, rows, lists, general, add)


# --- New integration ----------------------------------------------------------------------------

DEFAULT_READ_SCHEDULE = "*/30 * * * *"
# The manifest keys the form fills in, and the field each is typed in.
_ENTRY_FIELDS = {
    "name": "name",
    "provider": "provider",
    "displayName": "display_name",
    "module": "module",
}
_READ_OBJECT_FIELDS = {
    "objectName": "object_name",
    "destination": "destination",
    "schedule": "schedule",
}
# The field of each path the validator names.
_FIELD_OF_PATH = {
    "integrations[0]": "start",  # integration-action-required
    **{f"integrations[0].{key}": field for key, field in _ENTRY_FIELDS.items()},
    **{
        f"integrations[0].read.objects[0].{key}": field
        for key, field in _READ_OBJECT_FIELDS.items()
    },
}
_START_PATHS = ("integrations[0].read", "integrations[0].proxy")


def provider_choices(catalog: Catalog) -> list[tuple[str, str]]:
    """(name, display name) of the catalog's providers that support at least one action, by
    display name; a display name two providers share is followed by the provider's name."""
    shown = {
        name: catalog.display_name(name)
        for name in catalog.raw
        if any(
            catalog.supports(name, action, module)
            for module in (None, *catalog.modules(name))
            for action in ("read", "write", "subscribe", "proxy")
        )
    }
    shared = Counter(label.casefold() for label in shown.values())
    labels = {
        name: f"{label} ({name})" if shared[label.casefold()] > 1 else label
        for name, label in shown.items()
    }
    return sorted(labels.items(), key=lambda choice: (choice[1].casefold(), choice[0]))


class NewIntegrationForm(forms.Form):
    """A new integration of `project`: its manifest entry, checked by Ampersand's rules.

    The module and what to start with are offered as the chosen provider (and module) allows;
    a valid form holds the entry's amp.yaml (`amp_yaml`). The validator's errors sit on the
    field their path names; its warnings are kept by field in `warnings`.
    """

    READ, PROXY = "read", "proxy"

    name = forms.CharField(
        help_text="Unique in the project: how the API and your installations name it.",
        widget=forms.TextInput(
            attrs={
                "maxlength": MAX_STRING_LENGTHS["name"],
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    provider = forms.ChoiceField(
        help_text="From Ampersand's provider catalog.",
        error_messages={"invalid_choice": "Choose a provider of the catalog."},
    )
    display_name = forms.CharField(
        required=False,
        label="Display name",
        help_text="What customers see when they install it. Blank: its name.",
    )
    module = forms.ChoiceField(required=False, help_text="The part of the provider's API it uses.")
    start = forms.ChoiceField(
        label="Start with",
        widget=forms.RadioSelect,
        help_text="Once it is deployed, add more objects, writes and subscriptions in its editor.",
    )
    object_name = forms.CharField(
        required=False,
        label="Object to read",
        help_text="The provider's name of the object, e.g. contact.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    destination = forms.CharField(
        required=False, help_text="Where Ampersand delivers what it reads."
    )
    schedule = forms.CharField(
        required=False,
        initial=DEFAULT_READ_SCHEDULE,
        help_text="When to read, as cron (5 fields), runs at least 10 minutes apart.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(
        self,
        *args: Any,
        project: Project,
        catalog: Catalog,
        destinations: list[str] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.initial = dict(self.initial)  # completed below with the provider's defaults
        self.project, self.catalog, self.destinations = project, catalog, destinations
        self.existing: Integration | None = None
        # The validator's warnings by field name; "general" for those of no field.
        self.warnings: dict[str, list[str]] = {}
        self.amp_yaml = ""
        providers = provider_choices(catalog)
        self.fields["provider"].choices = [("", "Choose a provider…"), *providers]
        chosen = self["provider"].value()
        self.provider = chosen if chosen in dict(providers) else ""
        self._offer_modules()
        self._offer_starts()
        swap = {
            "hx-get": reverse("project-new-integration", args=[project.pk]),
            "hx-target": "#provider-options",
            "hx-swap": "outerHTML",
            "hx-include": "#provider-fields",
        }
        self.fields["provider"].widget.attrs.update(swap)
        self.fields["module"].widget.attrs.update(swap)
        destination = self.fields["destination"]
        if destinations is None:
            destination.help_text += (
                " Type its name: the project's destinations could not be listed."
            )
        elif destinations:
            self.fields["destination"] = forms.ChoiceField(
                required=False,
                help_text=destination.help_text,
                choices=[("", "Choose a destination…"), *((name, name) for name in destinations)],
                error_messages={"invalid_choice": "This project has no destination %(value)s."},
            )

    @property
    def provider_display_name(self) -> str:
        return self.catalog.display_name(self.provider) if self.provider else ""

    def _offer_modules(self) -> None:
        info = self.catalog.provider(self.provider) if self.provider else None
        modules = self.catalog.modules(self.provider) if self.provider else []
        field = self.fields["module"]
        field.choices = [
            (module, f"{module} (default)" if info and module == info.default_module else module)
            for module in modules
        ]
        field.required = bool(modules)
        field.error_messages["required"] = f"Choose one of {self.provider_display_name}'s modules."
        field.error_messages["invalid_choice"] = (
            f"{self.provider_display_name} has no module %(value)s."
        )
        if info is not None and self.initial.get("module") not in modules:
            self.initial["module"] = info.default_module if info.default_module in modules else ""
        chosen = self["module"].value()
        self.module = chosen if chosen in modules else ""

    def _offer_starts(self) -> None:
        """Read, if the provider (through the module) reads; proxy, if the provider proxies
        (the entry does not set useModule, so the proxy goes to the provider's base URL)."""
        if self.provider:
            starts = [
                start
                for start, supported in (
                    (self.READ, self.catalog.supports(self.provider, "read", self.module or None)),
                    (self.PROXY, self.catalog.supports(self.provider, "proxy")),
                )
                if supported
            ]
        else:
            starts = [self.READ, self.PROXY]
        labels = {self.READ: "A first read object", self.PROXY: "Proxy only"}
        field = self.fields["start"]
        field.choices = [(start, labels[start]) for start in starts]
        through = f" (module {self.module})" if self.module else ""
        if starts:
            field.error_messages["invalid_choice"] = (
                f"{self.provider_display_name}{through} cannot start with that: choose "
                f"{' or '.join(labels[start].lower() for start in starts)}."
            )
        else:
            field.error_messages["required"] = field.error_messages["invalid_choice"] = (
                f"{self.provider_display_name}{through} can neither read nor proxy: choose "
                "another module."
            )
        if self.initial.get("start") not in starts:
            self.initial["start"] = starts[0] if starts else ""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        self.existing = self.project.integrations.filter(
            name=name, state=Integration.State.PRESENT
        ).first()
        if self.existing is not None:
            raise forms.ValidationError(
                f"This project already has an integration named {name}: choose another name, "
                "or edit that one."
            )
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("provider"):
            return cleaned  # nothing to check the rest against
        self.amp_yaml = build_manifest_yaml([self.manifest_entry()])
        destinations = set(self.destinations) if self.destinations is not None else None
        result = validate_manifest(self.amp_yaml, catalog=self.catalog, destinations=destinations)
        for issue in result.issues:
            field = _FIELD_OF_PATH.get(issue.path)
            if field is None and issue.path.startswith(_START_PATHS):
                field = "start"
            if issue.severity is not Severity.ERROR:
                self.warnings.setdefault(field or "general", []).append(issue.message)
            elif field is None or field not in self.errors:
                # A field Django refused already says what is wrong with it.
                self.add_error(field, issue.message)
        return cleaned

    def manifest_entry(self) -> dict[str, Any]:
        """The integration's manifest content, from what is typed (blanks left out, so the
        validator names what is missing)."""
        data = self.cleaned_data
        entry = _typed_keys(data, _ENTRY_FIELDS)
        if data.get("start") == self.READ:
            entry["read"] = {"objects": [_typed_keys(data, _READ_OBJECT_FIELDS)]}
        elif data.get("start") == self.PROXY:
            entry["proxy"] = {"enabled": True}
        return entry

    def typed(self) -> dict[str, str]:
        """What was typed in each field, as a query string can carry it back to the form."""
        return {name: str(self[name].value() or "") for name in self.fields}


def _typed_keys(cleaned_data: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """Each manifest key of `fields` whose field is filled in, with its value."""
    return {key: cleaned_data[field] for key, field in fields.items() if cleaned_data.get(field)}


# --- Write, subscribe and schema watch sections -------------------------------------------------


class WriteObjectForm(forms.Form):
    object_name = OneLineField("Object", max_length=200, required=True)
    inherit_mapping = forms.BooleanField(
        required=False, label="Inherit the field mapping of the read object"
    )
    allow_any_fields = forms.BooleanField(
        required=False, label="Customers may set default values for any field"
    )


class AddWriteObjectForm(forms.Form):
    object_name = OneLineField("Object to write", max_length=200)


class SubscribeNamesForm(forms.Form):
    """A form naming a read object and a destination: both offered as selects when known."""

    def __init__(
        self,
        *args: Any,
        destinations: list[str] | None = None,
        object_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offer_names(self, "destination", destinations, "Choose one")
        offer_names(self, "object_name", object_names, "Choose a read object")


class SubscribeObjectForm(SubscribeNamesForm):
    """A subscribe object's settings; the validator judges the values, this form their type."""

    object_name = OneLineField("Object", max_length=200, required=True)
    destination = OneLineField("Destination", max_length=200)
    inherit_fields_and_mapping = forms.BooleanField(
        required=False, label="Inherit the fields and mapping of the read object"
    )
    create_event = forms.BooleanField(required=False, label="Create events")
    update_event = forms.BooleanField(required=False, label="Update events")
    watch_fields_auto = forms.ChoiceField(
        required=False,
        label="Fields watched for updates",
        choices=[
            ("", "The fields listed below"),
            ("all", "All fields"),
            ("selected", "The fields the customer selects"),
        ],
    )
    required_watch_fields = NameListField(
        "Fields always watched", help_text="Separated by commas, e.g. name, domain."
    )
    delete_event = forms.BooleanField(required=False, label="Delete events")
    association_change_event = forms.BooleanField(required=False, label="Association change events")
    include_full_records = forms.BooleanField(
        required=False, label="Full records in association change events"
    )
    other_events = NameListField(
        "Other events", help_text="Separated by commas, e.g. object.merged, object.restored."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A value the form does not know stays selected, so an untouched form keeps it.
        field = self.fields["watch_fields_auto"]
        current = str(self.initial.get("watch_fields_auto") or "")
        if current not in dict(field.choices):
            field.choices = [*field.choices, (current, current)]


class AddSubscribeObjectForm(SubscribeNamesForm):
    object_name = OneLineField("Object to subscribe to", max_length=200)
    destination = OneLineField("Destination", max_length=200)


class WatchSchemaForm(forms.Form):
    destination = OneLineField("Destination", max_length=200)
    schedule = OneLineField(
        "Schedule (cron)",
        max_length=200,
        help_text="At most once an hour. Blank: once a day.",
    )
    field_created = forms.BooleanField(required=False, label="Fields created")
    field_deleted = forms.BooleanField(required=False, label="Fields deleted")
    field_changed = forms.BooleanField(
        required=False, label="Fields changed (type, label or description)"
    )

    def __init__(self, *args: Any, destinations: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_names(self, "destination", destinations, "Choose one")


def _errors(form: forms.Form, name: str | None = None) -> list[str]:
    """The errors of a bound form's field `name` (all of its fields' when None)."""
    if not form.is_bound:
        return []
    if name is not None:
        return list(form.errors.get(name, []))
    return [error for errors in form.errors.values() for error in errors]


@dataclass
class FieldSlots:
    """The slots of one form: one per form field, and one for what no field names."""

    fields: dict[str, Slot]
    general: Slot

    def __iter__(self) -> Iterator[Slot]:
        yield from self.fields.values()
        yield self.general


@dataclass
class SectionSlots:
    """The slots of a section of objects: each row's, the add form's, and the section's."""

    rows: list[FieldSlots]
    add: Slot
    general: Slot

    def __iter__(self) -> Iterator[Slot]:
        for row in self.rows:
            yield from row
        yield self.add
        yield self.general


class SectionEditor:
    """A section of the editor (write objects, subscribe objects, schema watch): its forms,
    what it may add (`offered`: what the provider or module supports), and where the
    validator's issues about it are shown (`slots`)."""

    id: str
    title: str
    url_name: str
    # The template's variable for the section, and the partial that draws it.
    context_name: str
    partial: str
    # The catalog's action the provider must support for the section to be offered.
    catalog_action: CatalogAction
    uses_destinations = False

    def __init__(
        self,
        content: dict[str, Any],
        *,
        data: Any = None,
        destinations: list[str] | None = None,
        offered: bool = True,
    ) -> None:
        self.content = content
        self.offered = offered
        self.problems: list[str] = []
        self.make_forms(data, destinations)

    def make_forms(self, data: Any, destinations: list[str] | None) -> None:
        raise NotImplementedError

    @classmethod
    def present_in(cls, content: dict[str, Any]) -> bool:
        raise NotImplementedError

    @property
    def shown(self) -> bool:
        """Offered by the provider, or already in the draft (so nothing is hidden)."""
        return self.offered or self.present_in(self.content)


class ObjectsEditor(SectionEditor):
    """The objects of one action (write or subscribe) as one form, a row per object, with a
    form to add one.

    Row `i` edits the draft's object `i`: `key` (the objects' names) tells a form drawn from
    another version of the list, which must not be saved.
    """

    action: str
    partial = "objects-section"
    row_form: type[forms.Form]
    add_form: type[forms.Form]
    # The row form's fields -> the manifest path (from the object) each edits.
    slot_paths: dict[str, str]
    # How a row's fields are grouped on the page: (legend, or "" for none; field names).
    groups: tuple[tuple[str, tuple[str, ...]], ...]

    def make_forms(self, data: Any, destinations: list[str] | None) -> None:
        self.objects = section_objects(self.content, self.action)
        options = self.form_options(self.content, destinations)
        formset = forms.formset_factory(self.row_form, extra=0, max_num=1000, absolute_max=1000)
        self.rows = formset(
            data,
            prefix=self.action,
            initial=[self.settings_of(obj) for obj in self.objects],
            form_kwargs=options,
        )
        self.add = self.add_form(data, prefix=f"{self.action}-new", **options)

    @classmethod
    def present_in(cls, content: dict[str, Any]) -> bool:
        return content.get(cls.action) is not None

    def form_options(self, content: dict[str, Any], destinations: list[str] | None) -> dict:
        return {}

    @staticmethod
    def settings_of(obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def apply(obj: Any, settings: dict[str, Any]) -> Any:
        raise NotImplementedError

    def new_object(self, names: list[str]) -> tuple[dict[str, Any] | None, str]:
        """The object the add form asks for, or a problem to show instead."""
        raise NotImplementedError

    @property
    def id(self) -> str:
        return f"{self.action}-objects"

    @property
    def names(self) -> list[str]:
        return [
            str(obj.get("objectName", "")) if isinstance(obj, dict) else "" for obj in self.objects
        ]

    @property
    def key(self) -> str:
        # A digest: a browser would post line breaks in a hidden value as CR LF.
        return hashlib.blake2b("\0".join(self.names).encode(), digest_size=8).hexdigest()

    def is_current(self, key: str | None) -> bool:
        """Whether a posted form was drawn from this list of objects."""
        posted = self.rows.total_form_count() if self.rows.is_bound else len(self.objects)
        return key == self.key and posted == len(self.objects)

    def is_valid(self) -> bool:
        return all([self.rows.is_valid(), self.add.is_valid()])

    def changed(self, action: str) -> dict[str, Any] | None:
        """The content after the form's values and `action` (add, remove:N or none); None
        when the add form cannot add (its error then says why)."""
        objects = [
            self.apply(obj, form.cleaned_data)
            for obj, form in zip(self.objects, self.rows.forms, strict=True)
        ]
        verb, _, number = action.partition(":")
        if verb == "add":
            new, problem = self.new_object(self.names)
            if new is None:
                self.add.add_error("object_name", problem)
                return None
            objects.append(new)
        elif verb == "remove" and number.isdigit() and int(number) < len(objects):
            del objects[int(number)]
        elif verb in ("up", "down") and number.isdigit():
            objects = move_item(objects, int(number), -1 if verb == "up" else 1)
        return set_section_objects(self.content, self.action, objects)

    def slots(self, issues: list[ValidationIssue]) -> SectionSlots:
        paths = [
            f"objects[{at}]{'.' + path if path else ''}"
            for at in range(len(self.objects))
            for path in ["", *self.slot_paths.values()]
        ]
        placed = place_issues(issues, f"integrations[0].{self.action}", paths)
        rows = []
        for at, form in enumerate(self.rows.forms):
            fields = {
                name: Slot(
                    id=f"{self.action}-{at}-{name}",
                    errors=_errors(form, name),
                    issues=placed.pop(f"objects[{at}].{path}", []),
                )
                for name, path in self.slot_paths.items()
            }
            general = Slot(
                id=f"{self.action}-{at}-general",
                errors=list(form.non_field_errors()) if form.is_bound else [],
                issues=placed.pop(f"objects[{at}]", []),
            )
            rows.append(FieldSlots(fields, general))
        add = Slot(id=f"{self.action}-add", errors=_errors(self.add))
        general = Slot(
            id=f"{self.action}-general",
            errors=[*self.problems, *(self.rows.non_form_errors() if self.rows.is_bound else [])],
            issues=[issue for rest in placed.values() for issue in rest],
        )
        return SectionSlots(rows, add, general)

    def view(self, issues: list[ValidationIssue]) -> dict[str, Any]:
        """What the section's partial shows: each row's form fields with their slots."""
        slots = self.slots(issues)
        rows = [
            (
                form,
                [
                    (legend, [(form[name], row.fields[name]) for name in names])
                    for legend, names in self.groups
                ],
                row.general,
            )
            for form, row in zip(self.rows.forms, slots.rows, strict=True)
        ]
        return {"editor": self, "slots": slots, "rows": rows}


class WriteEditor(ObjectsEditor):
    action = "write"
    title = "Write objects"
    url_name = "integrations:edit-write"
    context_name = "write_section"
    catalog_action = "write"
    row_form = WriteObjectForm
    add_form = AddWriteObjectForm
    slot_paths = {
        "object_name": "objectName",
        "inherit_mapping": "inheritMapping",
        "allow_any_fields": "valueDefaults",
    }
    groups = (("", ("object_name", "inherit_mapping", "allow_any_fields")),)
    settings_of = staticmethod(write_object_settings)
    apply = staticmethod(apply_write_object_settings)

    def new_object(self, names: list[str]) -> tuple[dict[str, Any] | None, str]:
        name = self.add.cleaned_data.get("object_name", "")
        if not name:
            return None, "Type the object to write."
        if name in names:
            return None, f"{name} is already a write object."
        return new_write_object(name), ""


class SubscribeEditor(ObjectsEditor):
    action = "subscribe"
    title = "Subscribe objects"
    url_name = "integrations:edit-subscribe"
    context_name = "subscribe_section"
    catalog_action = "subscribe"
    uses_destinations = True
    row_form = SubscribeObjectForm
    add_form = AddSubscribeObjectForm
    slot_paths = {
        "object_name": "objectName",
        "destination": "destination",
        "inherit_fields_and_mapping": "inheritFieldsAndMapping",
        "create_event": "createEvent",
        "update_event": "updateEvent.enabled",
        # Issues about the update event as a whole are about the fields it watches.
        "watch_fields_auto": "updateEvent",
        "required_watch_fields": "updateEvent.requiredWatchFields",
        "delete_event": "deleteEvent",
        "association_change_event": "associationChangeEvent",
        "include_full_records": "associationChangeEvent.includeFullRecords",
        "other_events": "otherEvents",
    }
    groups = (
        ("", ("object_name", "destination", "inherit_fields_and_mapping")),
        ("Events", ("create_event", "update_event", "delete_event", "association_change_event")),
        ("Update events", ("watch_fields_auto", "required_watch_fields")),
        ("Association change and other events", ("include_full_records", "other_events")),
    )
    settings_of = staticmethod(subscribe_object_settings)
    apply = staticmethod(apply_subscribe_object_settings)

    def form_options(self, content: dict[str, Any], destinations: list[str] | None) -> dict:
        read_names = [
            obj["objectName"]
            for obj in section_objects(content, "read")
            if isinstance(obj, dict) and isinstance(obj.get("objectName"), str)
        ]
        return {"destinations": destinations, "object_names": read_names or None}

    def new_object(self, names: list[str]) -> tuple[dict[str, Any] | None, str]:
        name = self.add.cleaned_data.get("object_name", "")
        if not name:
            return None, "Choose or type the object to subscribe to."
        if name in names:
            return None, f"{name} is already a subscribe object."
        return new_subscribe_object(name, self.add.cleaned_data.get("destination", "")), ""


# The schema watch form's fields -> the manifest path (from watchSchema) each edits.
WATCH_SLOTS: Final = {
    "destination": "destination",
    "schedule": "schedule",
    "field_created": "allObjects.fieldCreated",
    "field_deleted": "allObjects.fieldDeleted",
    "field_changed": "allObjects.fieldChanged",
}
# What a new schema watch starts with: every kind of change, Ampersand's default schedule.
NEW_WATCH: Final = {
    "destination": "",
    "schedule": "",
    "field_created": True,
    "field_deleted": True,
    "field_changed": True,
}


class WatchSchemaEditor(SectionEditor):
    """The schema watch form: started (add), edited, stopped (remove)."""

    id = "watch-schema"
    title = "Schema watch"
    url_name = "integrations:edit-watch-schema"
    context_name = "watch_section"
    partial = "watch-section"
    # The catalog has no schema watch support: a schema watch watches what the provider reads.
    catalog_action = "read"
    uses_destinations = True

    def make_forms(self, data: Any, destinations: list[str] | None) -> None:
        watch = self.content.get("watchSchema")
        self.watching = isinstance(watch, dict)
        initial = watch_schema_settings(watch) if self.watching else NEW_WATCH
        self.form = WatchSchemaForm(
            data, prefix="watch", initial=initial, destinations=destinations
        )

    @classmethod
    def present_in(cls, content: dict[str, Any]) -> bool:
        return "watchSchema" in content

    @property
    def key(self) -> str:
        return "watching" if self.watching else "not watching"

    def is_current(self, key: str | None) -> bool:
        return key == self.key

    def is_valid(self) -> bool:
        return self.form.is_valid()

    def changed(self, action: str) -> dict[str, Any] | None:
        """The content after the form's values and `action` (add, remove or none)."""
        if action == "remove":
            return set_watch_schema(self.content, None)
        if self.watching or action == "add":
            return set_watch_schema(self.content, self.form.cleaned_data)
        return self.content

    def slots(self, issues: list[ValidationIssue]) -> FieldSlots:
        placed = place_issues(issues, "integrations[0].watchSchema", WATCH_SLOTS.values())
        fields = {
            name: Slot(
                id=f"{self.id}-{name}",
                errors=_errors(self.form, name),
                issues=placed.pop(path, []),
            )
            for name, path in WATCH_SLOTS.items()
        }
        schedule = self.form["schedule"].value()
        fields["schedule"].note = describe_cron(schedule) if schedule else ""
        general = Slot(
            id=f"{self.id}-general",
            errors=[*self.problems, *(self.form.non_field_errors() if self.form.is_bound else [])],
            issues=[issue for rest in placed.values() for issue in rest],
        )
        return FieldSlots(fields, general)

    def view(self, issues: list[ValidationIssue]) -> dict[str, Any]:
        """What the section's partial shows: each form field with its slot."""
        slots = self.slots(issues)
        fields = [(self.form[name], slot) for name, slot in slots.fields.items()]
        return {"editor": self, "slots": slots, "fields": fields}
