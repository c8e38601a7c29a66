"""Text checks the build computes from the records: misspellings, near-duplicate texts.

Written as data, for SHACL rules to report like any other finding.
"""
