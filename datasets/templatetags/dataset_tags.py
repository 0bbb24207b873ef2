"""Formatting filters for the dataset pages: sizes, counts, shares and statistics.

Every filter returns "—" for a missing value (None, NaN, or something that is not a number),
so a template never has to test before formatting a statistic.
"""

from __future__ import annotations

import math

from django import template

register = template.Library()

MISSING = "—"
_BYTE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def _number(value) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


@register.filter
def human_bytes(value) -> str:
    """1536 → "1.5 KB" (powers of 1024, one decimal above bytes)."""
    number = _number(value)
    if number is None or number < 0:
        return MISSING
    unit = 0
    while number >= 1024 and unit < len(_BYTE_UNITS) - 1:
        number /= 1024
        unit += 1
    return f"{int(number)} B" if unit == 0 else f"{number:.1f} {_BYTE_UNITS[unit]}"


@register.filter
def thousands(value) -> str:
    """1234567 → "1,234,567"; floats keep up to two decimals."""
    number = _number(value)
    if number is None:
        return MISSING
    if isinstance(number, int) or float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


@register.filter
def percent(value, digits: int = 1) -> str:
    """A share in [0, 1] → "12.5%". Tiny non-zero shares show as "<0.1%" rather than "0.0%"."""
    number = _number(value)
    if number is None:
        return MISSING
    digits = int(digits)
    scaled = number * 100
    smallest = 10**-digits
    if 0 < scaled < smallest:
        return f"<{smallest:.{digits}f}%"
    if 100 - smallest < scaled < 100:
        return f">{100 - smallest:.{digits}f}%"
    return f"{scaled:.{digits}f}%"


@register.filter
def stat(value) -> str:
    """A statistic for display: integers with separators, floats with four significant
    digits (scientific notation when very large or small), text as is."""
    if isinstance(value, str):
        return value or MISSING
    number = _number(value)
    if number is None:
        return MISSING
    if isinstance(number, int):
        return f"{number:,}"
    if number == 0:
        return "0"
    magnitude = abs(number)
    if magnitude >= 1e9 or magnitude < 1e-4:
        return f"{number:.3e}"
    if magnitude >= 1000:
        return f"{number:,.0f}" if magnitude >= 1e5 else f"{number:,.1f}"
    return f"{number:.4g}"


@register.filter
def bar_width(value, total) -> str:
    """Width of a mini bar as a CSS percentage of `total` (at least 1% when non-zero)."""
    number, whole = _number(value), _number(total)
    if number is None or not whole or whole <= 0:
        return "0%"
    share = max(0.0, min(1.0, number / whole)) * 100
    if 0 < share < 1:
        share = 1
    return f"{share:.1f}%"


@register.filter
def get_item(mapping, key):
    """mapping[key], or None: for dicts keyed by a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
