"""`load_demo`: every app's demo data. It lives in `reports`, the top app, because it loads the
demo of each app below it in turn (missions, which loads commitments' own, then reports)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from missions.demo.load import DEMO_PASSWORD, DEMO_USERS, load_demo
from reports.demo import load_demo_reports


class Command(BaseCommand):
    help = "Load the demo users and missions (idempotent). Refused under production settings."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is not allowed with these settings (production).")
        users = load_demo()
        load_demo_reports(users)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, (full_name, _role, _scope) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<22} {full_name}")
        for username, user in users.items():
            if username not in DEMO_USERS:
                self.stdout.write(f"  {username:<22} {user.get_full_name() or username}")
