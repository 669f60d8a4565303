"""Reads that need care. Every round, self-assessment and aggregate that reaches a page,
export or the admin comes through the scope of `selectors.rounds` and `selectors.assessment`:
scope lives there and nowhere else."""
