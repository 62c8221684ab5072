"""What Alembic should and should not manage in the application database."""

# Tables owned by other software that shares the database (APScheduler's job
# store, once the scheduler keeps its jobs there). Autogenerate must not drop them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_name(name, type_, parent_names) -> bool:
    if type_ == "table":
        return name not in FOREIGN_TABLES
    return True
