"""What the Profile and Charts tabs take from a version's profile.

The profile is a large JSON document; the Profile tab shows one page of its columns at a time
and the Charts tab embeds only the parts its charts draw, so neither page grows with every
statistic of every column.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.core.paginator import Paginator

from .. import preview
from ..models import ColumnType, DatasetVersion

log = logging.getLogger(__name__)

COLUMNS_PER_PAGE = 50
CHART_COLUMNS = 500
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
NUMERIC_STATS = (
    ("mean", "Mean"),
    ("std", "Std. deviation"),
    ("min", "Min"),
    ("p5", "5th percentile"),
    ("p25", "25th percentile"),
    ("median", "Median"),
    ("p75", "75th percentile"),
    ("p95", "95th percentile"),
    ("max", "Max"),
    ("skew", "Skew"),
    ("zeros", "Zeros"),
)
MEASURES = {
    "pearson": "Pearson |r|",
    "spearman": "Spearman |ρ|",
    "cramers_v": "Cramér's V",
    "correlation_ratio": "Correlation ratio η",
}


def read_profile(version: DatasetVersion) -> dict | None:
    """The profile, or None when there is none or its file cannot be read (the page then says
    so instead of failing)."""
    try:
        return preview.load_profile(version)
    except (OSError, ValueError) as exc:
        log.warning("Profile of dataset version %s cannot be read: %s", version.pk, exc)
        return None


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else 1


def _css_percent(part: float, whole: float) -> str:
    """A CSS length like "42.5%", formatted here so no locale can write "42,5%"."""
    return f"{part / whole * 100:.1f}%" if whole else "0%"


def _spark(histogram: dict | None) -> list[str]:
    """Bar heights (relative to the tallest) of a histogram, for a small CSS sparkline."""
    counts = [c or 0 for c in (histogram or {}).get("counts") or []]
    tallest = max(counts, default=0)
    return [_css_percent(c, tallest) for c in counts]


def _column_view(column: dict, n_rows: int) -> dict:
    """One column's card: its statistics in display order, its top values with bar widths,
    its distribution as sparkline heights."""
    top = column.get("top_values") or []
    top_max = max((entry.get("count") or 0 for entry in top), default=0)
    numeric = [(label, column.get(key)) for key, label in NUMERIC_STATS] if column.get("type") == "numeric" else []
    return {
        **column,
        "numeric_stats": numeric,
        "top": [
            {
                **entry,
                "width": _css_percent(entry.get("count") or 0, top_max),
                "share": (entry.get("count") or 0) / n_rows if n_rows else None,
            }
            for entry in top
        ],
        "spark": _spark(
            column.get("histogram")
            or (column.get("length") or {}).get("histogram")
            or column.get("bar")
            or {"counts": [entry.get("count") for entry in top]}
        ),
    }


def profile_context(request, version: DatasetVersion) -> dict:
    """Context of the Profile tab; `profile` is None when there is no profile yet."""
    profile = read_profile(version)
    if profile is None:
        return {"profile": None}
    dataset = profile.get("dataset") or {}
    n_rows = dataset.get("n_rows") or version.n_rows or 0
    columns = profile.get("columns") or []
    query = request.GET.get("q", "").strip()[:200]
    shown = [c for c in columns if query.lower() in str(c.get("name", "")).lower()] if query else columns
    page = Paginator(shown, COLUMNS_PER_PAGE).get_page(_page_number(request.GET.get("page")))
    types = dataset.get("types") or Counter(c.get("type") for c in version.columns)
    type_counts = [(label, types.get(value, 0)) for value, label in ColumnType.choices if types.get(value)]
    target = profile.get("target") or None
    associations = (target or {}).get("associations") or profile.get("associations") or []
    associations = sorted(
        (a for a in associations if a.get("score") is not None), key=lambda a: a["score"], reverse=True
    )
    suggestion = profile.get("suggestions") or {}
    warnings = sorted(version.warnings or [], key=lambda w: SEVERITY_ORDER.get(w.get("severity", "warning"), 1))
    return {
        "profile": profile,
        "summary": dataset,
        "type_counts": type_counts,
        "sample": profile.get("sample") or {},
        "warnings": warnings,
        "suggestion": suggestion,
        "suggestion_is_target": bool(suggestion.get("target")) and suggestion.get("target") == version.target,
        "target": target,
        "target_spark": _spark((target or {}).get("histogram")),
        "target_max": max((c.get("count") or 0 for c in (target or {}).get("classes") or []), default=0),
        "associations": [
            {**a, "measure_label": MEASURES.get(a.get("measure"), a.get("measure") or "")} for a in associations
        ],
        "column_page": page,
        "column_cards": [_column_view(c, n_rows) for c in page.object_list],
        "column_query": query,
        "column_total": len(columns),
    }


def _chart_column(column: dict) -> dict:
    """The parts of one column the Charts tab draws: histogram, bar of top values, box."""
    kind = column.get("type")
    entry = {"name": column.get("name"), "type": kind, "role": column.get("role")}
    if kind == "numeric" or kind == "datetime":
        entry["histogram"] = column.get("histogram")
    if kind == "numeric":
        entry["box"] = column.get("box")
        entry["mean"] = column.get("mean")
        entry["std"] = column.get("std")
        entry["min"] = column.get("min")
        entry["max"] = column.get("max")
    if kind == "text":
        entry["histogram"] = (column.get("length") or {}).get("histogram")
        entry["histogram_of"] = "length"
    bar = column.get("bar")
    if bar:
        entry["bar"] = bar
    elif column.get("top_values"):
        entry["bar"] = {
            "labels": [str(v.get("value")) for v in column["top_values"]],
            "counts": [v.get("count") for v in column["top_values"]],
        }
    return entry


def chart_payload(version: DatasetVersion) -> dict | None:
    """The trimmed profile the Charts tab embeds with json_script, or None without a profile."""
    profile = read_profile(version)
    if profile is None:
        return None
    columns = profile.get("columns") or []
    correlations = profile.get("correlations") or {}
    target = profile.get("target") or None
    if target:
        target = {k: v for k, v in target.items() if k != "associations"}
    return {
        "columns": [_chart_column(c) for c in columns[:CHART_COLUMNS]],
        "columns_total": len(columns),
        "correlations": {
            "columns": correlations.get("columns") or [],
            "pearson": correlations.get("pearson") or [],
            "spearman": correlations.get("spearman") or [],
            "omitted": len(correlations.get("omitted") or []),
        },
        "scatter": profile.get("scatter_sample") or {"columns": [], "types": [], "rows": []},
        "target": target,
        "sample": profile.get("sample") or {},
    }
