"""Celery entry points: thin. The schedule is in settings (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from commitments.services.rounds import remind_rounds, rounds_close_due


@shared_task
def round_deadlines_task() -> dict:
    """Close the rounds whose closing date has passed, and remind the partners of the rounds
    about to close. Decided from the current state at each tick, each reminder claimed once:
    a second run does nothing more, a missed one catches up."""
    return {"closed": rounds_close_due(), "reminded": remind_rounds()}
