"""The world: the district map, venue runs and the amphitheatre."""
