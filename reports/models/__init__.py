"""The reports app's models: rendered documents, their distribution and their publication."""

from reports.models.distribution import Delivery
from reports.models.document import STALLED_AFTER, Document, document_path
from reports.models.publication import (
    PUBLICATION,
    Publication,
    PublicationLog,
    PublicationStatus,
)

__all__ = [
    "PUBLICATION",
    "STALLED_AFTER",
    "Delivery",
    "Document",
    "Publication",
    "PublicationLog",
    "PublicationStatus",
    "document_path",
]
