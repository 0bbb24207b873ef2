"""Small generated datasets for the training tests: a binary classification with signal in
numbers, categories and dates; a regression; and groups for clustering. Seeded, so every run
trains on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

PLANS = ("basic", "pro", "team", "enterprise")
REGIONS = ("north", "south", "east", "west", "centre")


def buyers(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Who buys: more likely with income, the "pro" and "team" plans and recent sign-ups."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, rows).round(1)
    plan = rng.choice(PLANS, rows)
    region = rng.choice(REGIONS, rows)
    days = rng.integers(0, 700, rows)
    signup = (np.datetime64("2023-01-01") + days.astype("timedelta64[D]")).astype(str)
    logit = 0.08 * (income - 50) + np.isin(plan, ("pro", "team")) * 1.2 + (days > 400) * 0.8 - 0.6
    bought = rng.random(rows) < 1 / (1 + np.exp(-logit))
    income[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, rows + 1),
            "income": income,
            "plan": plan,
            "region": region,
            "signup_date": signup,
            "bought": np.where(bought, "yes", "no"),
        }
    )


def prices(rows: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.uniform(30, 200, rows).round(1)
    rooms = rng.integers(1, 6, rows)
    area = rng.choice(("old town", "suburb", "harbour"), rows)
    price = 1000 * size + 15000 * rooms + np.where(area == "harbour", 60000, 0) + rng.normal(0, 10000, rows)
    return pd.DataFrame({"size_m2": size, "rooms": rooms, "area": area, "price": price.round(0)})


def blobs(rows: int = 240, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [6, 6], [0, 8]])
    which = rng.integers(0, 3, rows)
    points = centres[which] + rng.normal(0, 1, (rows, 2))
    return pd.DataFrame({"x": points[:, 0].round(3), "y": points[:, 1].round(3)})


def csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)
