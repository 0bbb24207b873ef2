"""What the page and API permission matrices share: who is tried, and how a row's expected
statuses are written (one status per role, in the order of ROLES, space separated)."""

ROLES = ["owner", "admin_user", "editor", "viewer", "outsider", "sharee", "anonymous"]


def statuses(expected: str) -> dict[str, int]:
    codes = [int(code) for code in expected.split()]
    assert len(codes) == len(ROLES), f"{expected!r} needs one status for each of {ROLES}"
    return dict(zip(ROLES, codes, strict=True))
