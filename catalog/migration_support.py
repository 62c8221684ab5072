"""What Alembic should and should not manage in the application database."""

# Tables owned by other software that shares the database (APScheduler's job
# store, once the scheduler keeps its jobs there). Autogenerate must not drop them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


# Indexes a migration creates by hand because they cannot be declared portably
# (PostgreSQL expression indexes); the models do not describe them.
DIALECT_ONLY_INDEXES = frozenset({"ix_courses_search_fts"})


def include_name(name, type_, parent_names) -> bool:
    if type_ == "table":
        return name not in FOREIGN_TABLES
    if type_ == "index":
        return name not in DIALECT_ONLY_INDEXES
    return True
