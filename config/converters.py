"""URL converters."""


class ObjectIdConverter:
    """A primary key in a URL: ASCII digits, at most 18 of them. A longer number cannot be a
    row of ours (and SQLite cannot even compare it): the URL does not match, a 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
