"""How a person is named on pages, in e-mails and in PDFs."""


def person(user) -> str:
    """A user's full name, or their user name when they gave none."""
    return user.get_full_name() or user.username
