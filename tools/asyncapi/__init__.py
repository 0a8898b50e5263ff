"""Each service's AsyncAPI document, generated from its code; ``python -m tools.asyncapi`` writes
them to docs/asyncapi/ (see ``__main__``)."""

from .document import DOCS, document, generate

__all__ = ["DOCS", "document", "generate"]
