"""The SQLite gradebook, the one definition of a total, and regrading."""
