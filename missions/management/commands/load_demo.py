from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from missions.demo.load import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo users and missions (idempotent). Refused under production settings."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is not allowed with these settings (production).")
        load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, (full_name, _role, _scope) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<16} {full_name}")
