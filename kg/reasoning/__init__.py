"""Reasoning: the ontology's OWL 2 RL closure and the roll-up rules, into the inferred graph."""
