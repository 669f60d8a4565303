"""Text built from what users typed, made to fit where it goes."""


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when it was cut.

    For columns whose content is made from user text (a subject from a title, a name): the
    database refuses what is too long (PostgreSQL does; SQLite does not), and the person
    reading needs the beginning more than a refusal.
    """
    text = " ".join(text.split()) if "\n" in text else text
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def without_nul(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL cannot store in a text column."""
    return text.replace("\x00", "")
