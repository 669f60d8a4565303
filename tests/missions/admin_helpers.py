"""What the admin tests read off a response: the listed missions, the messages, a status."""

from django.contrib.messages import get_messages


def listed(response) -> set[int]:
    """The pks of the missions on an admin changelist."""
    return {mission.pk for mission in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def status_of(mission) -> str:
    mission.refresh_from_db()
    return mission.status
