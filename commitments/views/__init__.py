"""The commitments pages: thin. Each view parses its form, calls one selector or service and
renders. Every round, self-assessment and aggregate comes through the app's scope selectors:
outside it is a 404. Who sees but may not act gets a 403 with the reason (PermissionDenied,
shown by the site's 403 page); a refused form comes back with the message next to the field
and what was typed (400)."""
