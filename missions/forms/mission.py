"""What a transition step posts."""


def step_inputs(post) -> dict:
    """What a step's form posts, as the runner takes it (the admin's buttons post the same)."""
    return {
        "comment": post.get("comment", ""),
        "expected_status": post.get("expected_status") or None,
        "reason": post.get("reason", ""),
        "revisit_on": post.get("revisit_on", ""),
    }
