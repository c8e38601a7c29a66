"""sdgkg: a linked-data knowledge graph of development-cooperation projects and the SDGs."""

__version__ = "0.1.0"
