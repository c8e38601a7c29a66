"""Records -> triples.

Namespaces and IRI minting, the mappings of pages and IATI activities, the reference vocabularies.
"""
