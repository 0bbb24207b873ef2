"""The pure ingestion engine: read uploaded files into Arrow tables and infer column types.

No Django here (see DESIGN.md): callers pass paths and plain options and get plain results.
``profile.py`` (profiling) lives alongside and is imported from its own module.
"""

from .errors import IngestError
from .formats import FORMATS, detect_format
from .readers import inspect_file, read_table
from .types import COLUMN_ROLES, COLUMN_TYPES, apply_types, infer_columns

__all__ = [
    "COLUMN_ROLES",
    "COLUMN_TYPES",
    "FORMATS",
    "IngestError",
    "apply_types",
    "detect_format",
    "infer_columns",
    "inspect_file",
    "read_table",
]
