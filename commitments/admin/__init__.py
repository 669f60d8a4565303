"""The HCSS admin of commitments: the framework's versions (reference data) and the rounds
(read-only: rounds are opened and closed on the site by the clusters' coordinators).
Single answers are not in the admin: nobody but the partner and its coordinator reads them."""

from commitments.admin import framework, rounds

__all__ = ["framework", "rounds"]
