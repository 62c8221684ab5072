"""The whole database as plain data, to show that a request wrote nothing."""

from __future__ import annotations

from catalog.extensions import db

# Tables a refused request may still write, and why:
#   security_events: the audit trail records failed logins and refused requests on
#   purpose, in a transaction of its own.
CHANGING_TABLES = frozenset({"security_events"})


def dump() -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """Every table but ``CHANGING_TABLES``: its column names and its rows as the
    driver returns them (no type conversion: it is a comparison), sorted."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in CHANGING_TABLES]
    result = {}
    with db.engine.connect() as connection:
        for table in tables:
            columns = tuple(table.columns.keys())
            names = ", ".join(f'"{name}"' for name in columns)
            rows = connection.exec_driver_sql(f'SELECT {names} FROM "{table.name}"').fetchall()
            result[table.name] = (columns, sorted((tuple(row) for row in rows), key=repr))
    return result


def changed_rows(before: dict, after: dict) -> dict[str, list[dict]]:
    """Rows of ``after`` that ``before`` did not hold (new or changed), as dicts."""
    changes = {}
    for name, (columns, rows) in after.items():
        old = set(before[name][1])
        new = [dict(zip(columns, row, strict=True)) for row in rows if row not in old]
        if new:
            changes[name] = new
    return changes


def describe_changes(before: dict, after: dict) -> str:
    lines = []
    for name, (columns, rows) in after.items():
        old, new = set(before[name][1]), set(rows)
        for row in sorted(new - old, key=repr)[:3]:
            lines.append(f"  + {name} {dict(zip(columns, row, strict=True))}")
        for row in sorted(old - new, key=repr)[:3]:
            lines.append(f"  - {name} {dict(zip(columns, row, strict=True))}")
    return "\n".join(lines)
