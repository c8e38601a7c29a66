"""Sources -> records: the bundled manifest, the loaders, typed values and name resolution."""
