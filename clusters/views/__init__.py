"""The pages of the clusters app: the perimeter's (login, password, second factor)."""
