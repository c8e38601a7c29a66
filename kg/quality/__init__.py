"""Quality: where sources disagree, text checks, SHACL validation and DQV measures.

Conflicts and text checks are computed from the records and written as data, for SHACL rules to
report like any other finding; validate.py runs the shapes (fast engine or pySHACL); measures.py
summarises it all as DQV measurements.
"""
