from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clusters.management.commands._role_args import add_role_arguments, resolve_role_arguments
from clusters.services import role_revoke


class Command(BaseCommand):
    help = (
        "Take a role within a scope away from a user. "
        "Run by an operator: the change is logged with no acting user."
    )

    def add_arguments(self, parser):
        add_role_arguments(parser)

    def handle(self, *args, **options):
        user, role, scope = resolve_role_arguments(options)
        try:
            # An operator at the command line: logged as by nobody (by=None).
            revoked = role_revoke(user, role, by=None, **scope)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not revoked:
            raise CommandError(f"{user} does not hold that role in that scope.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Revoked {role} from {user}. Logged as an operator's change (no acting user)."
            )
        )
