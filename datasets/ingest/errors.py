"""The one exception the ingestion engine raises for bad user data.

Everything the user can fix (wrong format, broken rows, a zip bomb...) becomes an
``IngestError`` whose ``message`` is shown to them verbatim and whose ``code`` lets callers
and tests tell the cases apart without parsing prose. Bugs stay ordinary exceptions.
"""


class IngestError(Exception):
    """A problem with the user's data, with a message meant for the user."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"IngestError({self.message!r}, code={self.code!r})"
