"""compact check results: integer keys and codes, error text apart, daily partitions on PostgreSQL

monitors.num (a small integer key for results), regions (name ↔ small number), check_results
rebuilt as integers only (SQLite: WITHOUT ROWID keyed by monitor, time, region; PostgreSQL: range
partitioned by day on epoch milliseconds, indexed by monitor), check_errors for failure text.
Existing results are copied in batches of ids, then the old table is dropped.

Revision ID: 0023
Revises: 0018
Create Date: 2026-11-30 06:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 50_000
DAYS_AHEAD = 3
# A copy of storage/models/check_result.py's codes as they were when this migration was written.
ERROR_KIND_CODES = {
    "timeout": 1, "dns": 2, "connection": 3, "tls": 4, "status": 5, "keyword": 6, "json": 7,
    "too_large": 8, "ssrf_blocked": 9, "heartbeat_missed": 10, "other": 11,
}  # fmt: skip
SMALL_MS_MAX = 32767
WIDE_MS_MAX = 2**31 - 1
COLUMNS = (
    "checked_at", "monitor_num", "response_ms", "region_num", "status_code", "error_kind", "dns_ms",
    "connect_ms", "tls_ms", "ttfb_ms", "ok",
)  # fmt: skip
PG_RESULTS = """
CREATE TABLE check_results (
    checked_at bigint NOT NULL,
    monitor_num integer NOT NULL,
    response_ms integer NOT NULL,
    region_num smallint NOT NULL,
    status_code smallint NOT NULL,
    error_kind smallint NOT NULL,
    dns_ms smallint NOT NULL,
    connect_ms smallint NOT NULL,
    tls_ms smallint NOT NULL,
    ttfb_ms smallint NOT NULL,
    ok boolean NOT NULL,
    CONSTRAINT fk_check_results_monitor_num_monitors FOREIGN KEY (monitor_num)
        REFERENCES monitors (num) ON DELETE CASCADE
) PARTITION BY RANGE (checked_at)
"""  # columns widest first: no alignment padding, 31 bytes of data after a 24-byte header


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_check_results_monitor_id_checked_at", table_name="check_results")
    op.rename_table("check_results", "check_results_old")
    _monitor_numbers(sqlite)
    op.create_table(
        "regions",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("num", name=op.f("pk_regions")),
        sa.UniqueConstraint("name", name=op.f("uq_regions_name")),
    )
    op.execute("INSERT INTO regions (name) SELECT DISTINCT region FROM check_results_old ORDER BY region")

    def key() -> tuple[sa.Column[int], ...]:
        return (
            sa.Column("monitor_num", sa.Integer(), nullable=False),
            sa.Column("checked_at", sa.BigInteger(), nullable=False),
            sa.Column("region_num", sa.SmallInteger(), nullable=False),
        )

    if sqlite:
        op.create_table(
            "check_results",
            *key(),
            sa.Column("ok", sa.Boolean(), nullable=False),
            sa.Column("status_code", sa.SmallInteger(), nullable=False),
            sa.Column("response_ms", sa.Integer(), nullable=False),
            sa.Column("dns_ms", sa.SmallInteger(), nullable=False),
            sa.Column("connect_ms", sa.SmallInteger(), nullable=False),
            sa.Column("tls_ms", sa.SmallInteger(), nullable=False),
            sa.Column("ttfb_ms", sa.SmallInteger(), nullable=False),
            sa.Column("error_kind", sa.SmallInteger(), nullable=False),
            sa.ForeignKeyConstraint(
                ["monitor_num"],
                ["monitors.num"],
                name=op.f("fk_check_results_monitor_num_monitors"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("monitor_num", "checked_at", "region_num", name=op.f("pk_check_results")),
            sqlite_with_rowid=False,
        )
    else:
        op.execute(PG_RESULTS)
        op.execute("CREATE INDEX ix_check_results_monitor_num ON check_results (monitor_num)")
        op.execute("CREATE TABLE check_results_pdefault PARTITION OF check_results DEFAULT")
        _pg_partitions()
    op.create_table(
        "check_errors",
        *key(),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_num"],
            ["monitors.num"],
            name=op.f("fk_check_errors_monitor_num_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_num", "checked_at", "region_num", name=op.f("pk_check_errors")),
        sqlite_with_rowid=False,
    )
    _copy_forward(sqlite)
    op.drop_table("check_results_old")


def _monitor_numbers(sqlite: bool) -> None:
    if sqlite:
        op.execute("ALTER TABLE monitors ADD COLUMN num INTEGER")
        op.execute(
            "UPDATE monitors SET num = (SELECT n FROM (SELECT id, row_number() OVER "
            "(ORDER BY created_at, id) AS n FROM monitors) AS s WHERE s.id = monitors.id)"
        )
        op.execute("CREATE UNIQUE INDEX ix_monitors_num ON monitors (num)")
        # SQLite has no sequences: number each new monitor after the highest so far.
        op.execute(
            "CREATE TRIGGER monitors_num AFTER INSERT ON monitors FOR EACH ROW WHEN NEW.num IS NULL "
            "BEGIN UPDATE monitors SET num = (SELECT coalesce(max(num), 0) + 1 FROM monitors) "
            "WHERE rowid = NEW.rowid; END"
        )
        return
    op.execute("CREATE SEQUENCE monitors_num_seq")
    op.execute("ALTER TABLE monitors ADD COLUMN num integer")
    op.execute(
        "UPDATE monitors SET num = s.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n "
        "FROM monitors) AS s WHERE s.id = monitors.id"
    )
    op.execute("SELECT setval('monitors_num_seq', coalesce(max(num), 0) + 1, false) FROM monitors")
    op.execute("ALTER TABLE monitors ALTER COLUMN num SET DEFAULT nextval('monitors_num_seq')")
    op.execute("ALTER SEQUENCE monitors_num_seq OWNED BY monitors.num")
    op.execute("CREATE UNIQUE INDEX ix_monitors_num ON monitors (num)")


def _pg_partitions() -> None:
    """One partition per day from the oldest result to a few days ahead (housekeeping adds more)."""
    oldest = op.get_bind().scalar(sa.text("SELECT min(checked_at) FROM check_results_old"))
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = (
        today
        if oldest is None
        else min(today, oldest.astimezone(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    while day <= today + timedelta(days=DAYS_AHEAD):
        low = (day - epoch) // timedelta(milliseconds=1)
        high = (day + timedelta(days=1) - epoch) // timedelta(milliseconds=1)
        op.execute(
            f"CREATE TABLE check_results_p{day:%Y%m%d} PARTITION OF check_results "
            f"FOR VALUES FROM ({low}) TO ({high})"
        )
        day += timedelta(days=1)


def _ms(sqlite: bool, column: str, ceiling: int) -> str:
    """A duration in float ms as whole ms, at least 1, at most the ceiling, -1 when not measured."""
    if sqlite:
        whole = f"max(1, min({ceiling}, CAST(round({column}) AS INTEGER)))"
    else:  # greatest and least skip NULLs, hence the CASE
        whole = f"greatest(1, least({ceiling}, round({column})))::integer"
    return f"CASE WHEN {column} IS NULL THEN -1 ELSE {whole} END"


def _copy_forward(sqlite: bool) -> None:
    kind = "CASE o.error_kind WHEN NULL THEN 0 " + " ".join(
        f"WHEN '{name}' THEN {code}" for name, code in ERROR_KIND_CODES.items()
    )
    kind = f"CASE WHEN o.error_kind IS NULL THEN 0 ELSE ({kind} ELSE {ERROR_KIND_CODES['other']} END) END"
    if sqlite:
        at = (
            "(CAST(strftime('%s', o.checked_at) AS INTEGER) * 1000"
            " + CAST(substr(strftime('%f', o.checked_at), 4, 3) AS INTEGER))"
        )
        ok = "o.ok"
    else:
        at = "floor(extract(epoch FROM o.checked_at) * 1000)::bigint"
        ok = "o.ok"
    values = {
        "checked_at": at,
        "monitor_num": "m.num",
        "response_ms": _ms(sqlite, "o.response_ms", WIDE_MS_MAX),
        "region_num": "r.num",
        "status_code": "coalesce(o.status_code, 0)",
        "error_kind": kind,
        "dns_ms": _ms(sqlite, "o.dns_ms", SMALL_MS_MAX),
        "connect_ms": _ms(sqlite, "o.connect_ms", SMALL_MS_MAX),
        "tls_ms": _ms(sqlite, "o.tls_ms", SMALL_MS_MAX),
        "ttfb_ms": _ms(sqlite, "o.ttfb_ms", SMALL_MS_MAX),
        "ok": ok,
    }
    source = (
        "FROM check_results_old AS o JOIN monitors AS m ON m.id = o.monitor_id "
        "JOIN regions AS r ON r.name = o.region WHERE o.id > :low AND o.id <= :high"
    )
    copy_results = sa.text(
        f"INSERT INTO check_results ({', '.join(COLUMNS)}) "
        f"SELECT {', '.join(values[c] for c in COLUMNS)} {source} ON CONFLICT DO NOTHING"
    )
    copy_errors = sa.text(
        "INSERT INTO check_errors (monitor_num, checked_at, region_num, error) "
        f"SELECT m.num, {at}, r.num, substr(o.error, 1, 300) {source} "
        "AND o.error IS NOT NULL AND o.error <> '' ON CONFLICT DO NOTHING"
    )
    bind = op.get_bind()
    low, high = bind.execute(sa.text("SELECT min(id), max(id) FROM check_results_old")).one()
    if low is None:
        return
    cursor = low - 1
    while cursor < high:
        window = {"low": cursor, "high": cursor + BATCH}
        bind.execute(copy_results, window)
        bind.execute(copy_errors, window)
        cursor += BATCH


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.rename_table("check_results", "check_results_new")
    op.create_table(
        "check_results",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("dns_ms", sa.Float(), nullable=True),
        sa.Column("connect_ms", sa.Float(), nullable=True),
        sa.Column("tls_ms", sa.Float(), nullable=True),
        sa.Column("ttfb_ms", sa.Float(), nullable=True),
        sa.Column("error_kind", sa.String(length=20), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name="fk_check_results_monitor_id_monitors", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_check_results"),
    )
    op.create_index("ix_check_results_monitor_id_checked_at", "check_results", ["monitor_id", "checked_at"])
    if sqlite:
        at = "strftime('%Y-%m-%d %H:%M:%f000', n.checked_at / 1000.0, 'unixepoch')"
    else:
        at = "to_timestamp(n.checked_at / 1000.0)"
    kind = " ".join(f"WHEN {code} THEN '{name}'" for name, code in ERROR_KIND_CODES.items())

    def back(column: str) -> str:
        return f"CASE WHEN n.{column} < 0 THEN NULL ELSE n.{column} END"

    op.execute(
        "INSERT INTO check_results (monitor_id, checked_at, region, ok, status_code, response_ms, dns_ms, "  # noqa: S608
        "connect_ms, tls_ms, ttfb_ms, error_kind, error) "
        f"SELECT m.id, {at}, r.name, n.ok, nullif(n.status_code, 0), {back('response_ms')}, "
        f"{back('dns_ms')}, {back('connect_ms')}, {back('tls_ms')}, {back('ttfb_ms')}, "
        f"CASE n.error_kind {kind} ELSE NULL END, e.error "
        "FROM check_results_new AS n JOIN monitors AS m ON m.num = n.monitor_num "
        "JOIN regions AS r ON r.num = n.region_num "
        "LEFT JOIN check_errors AS e ON e.monitor_num = n.monitor_num AND e.checked_at = n.checked_at "
        "AND e.region_num = n.region_num ORDER BY n.checked_at"
    )
    op.drop_table("check_errors")
    op.drop_table("check_results_new")  # on PostgreSQL its partitions go with it
    op.drop_table("regions")
    op.execute("DROP INDEX ix_monitors_num")
    if sqlite:
        op.execute("DROP TRIGGER monitors_num")
        with op.batch_alter_table("monitors", schema=None) as batch_op:
            batch_op.drop_column("num")
    else:
        op.execute("ALTER TABLE monitors DROP COLUMN num")  # its sequence is owned, so it goes too
