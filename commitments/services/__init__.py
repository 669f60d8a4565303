"""Writes. Each service re-reads what it changes within the user's scope (a 404 outside it),
checks who may act (PermissionDenied with a plain message for who sees but may not act) and
what was typed (ValidationError by form field, nothing written), and writes in one
transaction with its notices."""
