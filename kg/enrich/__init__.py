"""Text → enrichments: SDG target suggestions with evidence, and the full-text search index."""
