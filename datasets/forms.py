"""Forms of the dataset pages: upload, new version, SQL import, connections, rename.

They only validate input and offer choices; storing anything is a service call (which checks
permissions and the file itself), so these are plain forms rather than model forms. Choices
of saved connections are narrowed to the project, so a page never offers another project's.
"""

from __future__ import annotations

from django import forms

from .ingest.formats import EXTENSIONS, SUPPORTED_TEXT
from .models import Dataset, SqlConnection
from .services import MAX_NAME, default_name

# What the file picker offers; the server checks the bytes whatever the name says.
ACCEPT = ",".join([*EXTENSIONS, ".gz", ".zip"])

DELIMITERS = [
    ("", "Detect automatically"),
    (",", "Comma ( , )"),
    (";", "Semicolon ( ; )"),
    ("\t", "Tab"),
    ("|", "Pipe ( | )"),
]
ENCODINGS = [
    ("", "Detect automatically"),
    ("utf-8", "UTF-8"),
    ("latin-1", "Latin-1 (ISO-8859-1)"),
    ("cp1252", "Windows-1252"),
    ("utf-16", "UTF-16"),
]
DECIMALS = [("", "Point ( 1.5 )"), (",", "Comma ( 1,5 )")]
HEADERS = [("", "The first row holds the column names"), ("no", "There is no header row")]


class ReadingOptionsForm(forms.Form):
    """How to read a text or Excel file, when the automatic detection gets it wrong."""

    delimiter = forms.ChoiceField(choices=DELIMITERS, required=False, label="Delimiter")
    encoding = forms.ChoiceField(choices=ENCODINGS, required=False, label="Encoding")
    decimal = forms.ChoiceField(choices=DECIMALS, required=False, label="Decimal separator")
    header = forms.ChoiceField(choices=HEADERS, required=False, label="Header row")
    sheet = forms.CharField(
        required=False,
        max_length=64,
        label="Excel sheet",
        help_text="A sheet name or number; the first sheet when empty.",
    )

    def reading_options(self) -> dict:
        """The options the user actually set, in the shape the services take."""
        data = self.cleaned_data
        options = {key: data[key] for key in ("delimiter", "encoding", "decimal", "sheet") if data.get(key)}
        if data.get("header") == "no":
            options["header"] = False
        return options

    def has_options(self) -> bool:
        """Whether the user set any option (keeps the section open when the form comes back)."""
        return self.is_bound and any(self.data.get(name) for name in ReadingOptionsForm.base_fields)


class UploadForm(ReadingOptionsForm):
    # Empty files go on to the service, which refuses them like any unreadable file (and, for a
    # new version, records the failed attempt in the dataset's history).
    file = forms.FileField(
        label="File",
        allow_empty_file=True,
        help_text=f"{SUPPORTED_TEXT}.",
        error_messages={
            "required": "Choose a file to upload.",
            "invalid": "The upload could not be read; please choose the file again.",
        },
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    name = forms.CharField(
        required=False,
        max_length=MAX_NAME,
        label="Dataset name",
        help_text="Defaults to the file name.",
    )

    field_order = ["file", "name"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and not (cleaned.get("name") or "").strip():
            cleaned["name"] = default_name(upload.name)
        return cleaned


class NewVersionForm(ReadingOptionsForm):
    file = UploadForm.base_fields["file"]

    field_order = ["file"]


def _query_field() -> forms.CharField:
    return forms.CharField(
        label="SELECT query",
        max_length=100_000,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 8, "class": "mono", "spellcheck": "false", "placeholder": "SELECT * FROM customers"}
        ),
        error_messages={"required": "Write the SELECT query whose rows become the dataset."},
    )


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SqlConnection) -> str:
        return f"{obj.name} — {obj.display_url}"


class SqlImportForm(forms.Form):
    connection = ConnectionChoiceField(
        queryset=SqlConnection.objects.none(),
        empty_label=None,
        label="Connection",
        error_messages={
            "required": "Choose a connection, or add one first.",
            "invalid_choice": "That connection no longer exists; choose another.",
        },
    )
    query = _query_field()
    name = forms.CharField(
        max_length=MAX_NAME,
        label="Dataset name",
        error_messages={"required": "A dataset needs a name."},
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = SqlConnection.objects.filter(project=project)


class SqlVersionForm(forms.Form):
    """Import the query again (or an edited one) as a new version of a SQL dataset."""

    connection = SqlImportForm.base_fields["connection"]
    query = _query_field()

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = SqlConnection.objects.filter(project=project)


class ConnectionForm(forms.Form):
    """Shown on the same page as the import form, so its ids get their own prefix (both have
    a `name` field; duplicate ids would tie a label to the wrong input)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "connection_%s")
        super().__init__(*args, **kwargs)

    name = forms.CharField(
        max_length=120,
        label="Connection name",
        error_messages={"required": "Give the connection a name."},
    )
    url = forms.CharField(
        max_length=2000,
        label="Database URL",
        help_text="postgresql://user:password@host:5432/database or mysql://user:password@host:3306/database. "
        "The password is stored encrypted and never shown again.",
        widget=forms.TextInput(
            attrs={"class": "mono", "autocomplete": "off", "spellcheck": "false", "placeholder": "postgresql://…"}
        ),
        error_messages={"required": "Enter the database URL."},
    )


class DatasetEditForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME, label="Name", error_messages={"required": "A dataset needs a name."})
    description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the data comes from and what a row is.",
    )

    @classmethod
    def initial_for(cls, dataset: Dataset) -> dict:
        return {"name": dataset.name, "description": dataset.description}
