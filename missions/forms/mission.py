"""What a transition step posts."""


def step_inputs(post) -> dict:
    """What a step's form posts, as the runner takes it (the admin's buttons post the same)."""
    return {
        "comment": post.get("comment", ""),
        "expected_status": post.get("expected_status") or None,
        "reason": post.get("reason", ""),
        "revisit_on": post.get("revisit_on", ""),
    }


# The largest primary key the databases take (a 64-bit integer has 19 digits).
ID_MAX_DIGITS = 18


def object_id(value) -> int | None:
    """A primary key posted or passed by the user, or None when it cannot be one (not ASCII
    digits, or too long for the database): the caller treats it as "no such object"."""
    value = (value or "").strip() if isinstance(value, str) else ""
    if not (value.isascii() and value.isdigit()) or len(value) > ID_MAX_DIGITS:
        return None
    return int(value)
