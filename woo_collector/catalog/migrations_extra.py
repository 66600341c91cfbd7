"""Schema steps after the foundation, in order; appended, never edited once released."""

MIGRATIONS: list[str] = []
