"""Store: batches of rows, the recent block headers and the cursor, each batch in one transaction.

Writes are idempotent (``ON CONFLICT DO NOTHING`` on ``(chain_id, tx_hash, log_index)``), so a batch
replayed after a crash, or indexed again from an older cursor, changes nothing; and because the cursor
moves in the same transaction as the rows, a process killed at any point leaves the mirror at a batch
boundary. A reorganisation is undone by :meth:`MirrorStore.rollback`, also in one transaction.

Event rows arrive column by column (:class:`~ledger.indexer.decode.EventRows`) and take the fast path of
each backend, inside the batch's transaction: on SQLite one ``executemany`` of plain tuples through the
driver (the only conversion, uint256 to its decimal string, done column by column); on PostgreSQL a
``COPY`` into a temporary staging table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into the
mirror table.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import sql as pg
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Insert,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ledger.db.models import MIRROR_TABLES, Block, ChainEvent, IndexerCursor
from ledger.db.types import Uint256
from ledger.gcpause import gc_paused
from ledger.indexer.decode import EventRows
from ledger.indexer.fetch import Header


@dataclass(frozen=True)
class CursorState:
    """The indexer's position on one chain (a detached copy of its ``indexer_cursor`` row)."""

    chain_id: int
    contract: str
    timelock: str | None
    genesis_hash: str
    start_block: int
    block_number: int
    block_hash: str | None
    head_block: int
    finalized_block: int
    confirmations: int
    reorgs: int
    updated_at: datetime
    halt_reason: str | None
    halted_at: datetime | None
    halted_block: int | None

    @property
    def lag(self) -> int:
        """Blocks between the chain's head, as last seen, and the mirror."""
        return max(0, self.head_block - self.block_number)

    @property
    def halted(self) -> bool:
        """Whether the indexer stopped because the chain no longer holds the mirror (``MirrorStore.halt``)."""
        return self.halt_reason is not None


def _now() -> datetime:
    return datetime.now(UTC)


class MirrorStore:
    """The chain mirror's tables, written only by the indexer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        self._sqlite_statements: dict[tuple[str, tuple[str, ...]], str] = {}

    # ─── reading ───────────────────────────────────────────────────────────────────────────────────

    def cursor(self, chain_id: int) -> CursorState | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(IndexerCursor.__table__).where(IndexerCursor.chain_id == chain_id)
            ).first()
        if row is None:
            return None
        return CursorState(**{f: getattr(row, f) for f in CursorState.__dataclass_fields__})

    def recent_blocks(self, chain_id: int) -> dict[int, str]:
        """Hashes of the blocks kept for detecting reorganisations, by number."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Block.number, Block.hash).where(Block.chain_id == chain_id))
            return {number: block_hash for number, block_hash in rows}

    # ─── writing ───────────────────────────────────────────────────────────────────────────────────

    def start(
        self,
        *,
        chain_id: int,
        contract: str,
        genesis_hash: str,
        start_block: int,
        confirmations: int,
        timelock: str | None = None,
    ) -> CursorState:
        """Create the cursor of a chain not mirrored yet, just before ``start_block``: of the ledger at
        ``contract`` and, if given, its ``timelock``."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(IndexerCursor).values(
                    chain_id=chain_id,
                    contract=contract,
                    timelock=timelock,
                    genesis_hash=genesis_hash,
                    start_block=start_block,
                    block_number=start_block - 1,
                    block_hash=None,
                    head_block=start_block - 1,
                    finalized_block=-1,
                    confirmations=confirmations,
                    reorgs=0,
                    updated_at=_now(),
                )
            )
        state = self.cursor(chain_id)
        assert state is not None
        return state

    def write_batch(
        self,
        chain_id: int,
        rows: Mapping[str, EventRows],
        headers: Sequence[Header],
        *,
        block_number: int,
        block_hash: str,
        head: int,
        finalized: int,
    ) -> None:
        """Store a batch of decoded events (by table name) with the headers of its recent blocks, and move the
        cursor to ``block_number``; all or nothing. Headers older than ``finalized`` are pruned."""
        with gc_paused(), self.engine.begin() as conn:
            for table_name, event_rows in rows.items():
                if len(event_rows):
                    self._insert_events(conn, MIRROR_TABLES[table_name], event_rows)
            if headers:
                conn.execute(
                    self._insert_ignoring_duplicates(Block.__table__),  # type: ignore[arg-type]
                    [
                        {
                            "chain_id": chain_id,
                            "number": h.number,
                            "hash": h.hash,
                            "parent_hash": h.parent_hash,
                            "timestamp": h.timestamp,
                        }
                        for h in headers
                    ],
                )
            conn.execute(delete(Block).where(Block.chain_id == chain_id, Block.number < finalized))
            self._move_cursor(
                conn,
                chain_id,
                block_number=block_number,
                block_hash=block_hash,
                head_block=head,
                finalized_block=max(finalized, -1),
            )

    def update_status(self, chain_id: int, *, head: int, finalized: int) -> None:
        """Record what the indexer last saw of the chain, for the status the API reports."""
        with self.engine.begin() as conn:
            self._move_cursor(conn, chain_id, head_block=head, finalized_block=max(finalized, -1))

    def halt(self, chain_id: int, *, reason: str, block: int, head: int | None = None) -> None:
        """Record that the indexer stopped at ``block`` because the chain no longer holds the mirror, and why:
        until :meth:`resume` (or :meth:`reset`), the API reports it and calls no mirrored event final. A halt
        recorded again keeps the time of the first; ``head``, if given, is the chain's head now."""
        seen = {} if head is None else {"head_block": head}
        with self.engine.begin() as conn:
            conn.execute(
                update(IndexerCursor)
                .where(IndexerCursor.chain_id == chain_id)
                .values(
                    halt_reason=reason,
                    halted_at=func.coalesce(IndexerCursor.halted_at, _now()),
                    halted_block=block,
                    updated_at=_now(),
                    **seen,
                )
            )

    def resume(self, chain_id: int) -> None:
        """Clear a halt: the indexer found its mirror on the chain again."""
        with self.engine.begin() as conn:
            self._move_cursor(conn, chain_id, halt_reason=None, halted_at=None, halted_block=None)

    def rollback(self, chain_id: int, *, fork_block: int, fork_hash: str | None) -> int:
        """Delete everything indexed from blocks after ``fork_block`` (the last block both branches share)
        and move the cursor back to it. Returns the number of event rows deleted."""
        deleted = 0
        with self.engine.begin() as conn:
            for model in MIRROR_TABLES.values():
                result = conn.execute(
                    delete(model).where(model.chain_id == chain_id, model.block_number > fork_block)
                )
                deleted += max(result.rowcount, 0)
            conn.execute(delete(Block).where(Block.chain_id == chain_id, Block.number > fork_block))
            conn.execute(
                update(IndexerCursor)
                .where(IndexerCursor.chain_id == chain_id)
                .values(
                    block_number=fork_block,
                    block_hash=fork_hash,
                    reorgs=IndexerCursor.reorgs + 1,
                    updated_at=_now(),
                )
            )
        return deleted

    def reset(self, chain_id: int) -> None:
        """Forget everything mirrored from ``chain_id``, cursor included."""
        with self.engine.begin() as conn:
            for model in MIRROR_TABLES.values():
                conn.execute(delete(model).where(model.chain_id == chain_id))
            conn.execute(delete(Block).where(Block.chain_id == chain_id))
            conn.execute(delete(IndexerCursor).where(IndexerCursor.chain_id == chain_id))

    # ─── bulk inserts ──────────────────────────────────────────────────────────────────────────────────

    def _insert_events(self, conn: Connection, model: type[ChainEvent], rows: EventRows) -> None:
        """Insert rows, skipping those already stored; the table's columns that ``rows`` has are written
        (a parameter the model renames goes to its column)."""
        table: Table = model.__table__  # type: ignore[assignment]
        renamed = model.renamed
        given = {renamed.get(n, n): c for n, c in zip(rows.names, rows.columns, strict=True)}
        names = [c.name for c in table.columns if c.name in given]
        plain = _plain_columns(table, names)
        if plain is None or self._dialect not in ("sqlite", "postgresql"):
            conn.execute(
                self._insert_ignoring_duplicates(table),
                [dict(zip(given, values, strict=True)) for values in zip(*given.values(), strict=True)],
            )
            return
        columns = [given[name] for name in names]
        if self._dialect == "sqlite":
            # SQLite keeps a uint256 as its decimal string (see ledger.db.types.Uint256). A column whose
            # values all fit in 64 bits is bound as integers all the same: the column's TEXT affinity makes
            # SQLite store exactly the decimal string (in C, faster than str() here); other columns are
            # converted.
            for i, is_uint in enumerate(plain):
                if is_uint and not _fits_int64(columns[i]):
                    columns[i] = [None if v is None else str(v) for v in columns[i]]
        # Every column has one value per row, by construction: zip's length checks would only cost time.
        params = list(zip(*columns))  # noqa: B905
        if self._dialect == "postgresql":
            self._postgres_copy(conn, table, names, params)
        else:
            self._sqlite_insert(conn, table, names, params)

    def _sqlite_insert(
        self, conn: Connection, table: Table, names: list[str], params: list[tuple[Any, ...]]
    ) -> None:
        key = (table.name, tuple(names))
        sql = self._sqlite_statements.get(key)
        if sql is None:  # SQLAlchemy's own INSERT … ON CONFLICT DO NOTHING, with positional parameters
            statement = sqlite.insert(table).on_conflict_do_nothing()
            sql = self._sqlite_statements[key] = str(
                statement.compile(dialect=conn.dialect, column_keys=names)
            )
        conn.exec_driver_sql(sql, params)

    @staticmethod
    def _postgres_copy(
        conn: Connection, table: Table, names: list[str], params: list[tuple[Any, ...]]
    ) -> None:
        """COPY into a temporary staging table, then move what is new. The staging table is emptied at commit
        (or rollback); :meth:`write_batch` stages each table once per transaction."""
        # One staging table per mirror table and set of columns, created on first use in each session.
        stage_name = f"_stage_{table.name}_{zlib.crc32(','.join(names).encode()):08x}"
        target, stage = pg.Identifier(table.name), pg.Identifier(stage_name)
        columns = pg.SQL(", ").join(pg.Identifier(n) for n in names)
        order = [pg.Identifier(n) for n in ("block_number", "log_index") if n in names]
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute(
                pg.SQL(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                    "AS SELECT {columns} FROM {target} WITH NO DATA"
                ).format(stage=stage, columns=columns, target=target)
            )
            with cursor.copy(
                pg.SQL("COPY {stage} ({columns}) FROM STDIN").format(stage=stage, columns=columns)
            ) as copy:
                for row in params:
                    copy.write_row(row)
            move = pg.SQL("INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage}").format(
                target=target, columns=columns, stage=stage
            )
            if order:  # ids in chain order
                move += pg.SQL(" ORDER BY {}").format(pg.SQL(", ").join(order))
            cursor.execute(move + pg.SQL(" ON CONFLICT DO NOTHING"))

    def _insert_ignoring_duplicates(self, table: Table) -> Insert:
        if self._dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    @staticmethod
    def _move_cursor(conn: Connection, chain_id: int, **values: Any) -> None:
        conn.execute(
            update(IndexerCursor)
            .where(IndexerCursor.chain_id == chain_id)
            .values(**values, updated_at=_now())
        )


_INT64 = (-(2**63), 2**63 - 1)


def _fits_int64(values: Sequence[Any]) -> bool:
    """Whether every value is an int that SQLite can bind as a 64-bit integer."""
    try:
        return bool(_INT64[0] <= min(values) and max(values) <= _INT64[1])
    except TypeError:  # a None among them
        return False


#: Column types whose Python values the drivers take as they are (uint256 aside, see :func:`_plain_columns`).
_PLAIN_TYPES = (BigInteger, Integer, SmallInteger, String, Text, Boolean)


def _plain_columns(table: Table, names: Sequence[str]) -> list[bool] | None:
    """For each column, whether it is a :class:`Uint256`; None if a column needs SQLAlchemy's own binding."""
    kinds: list[bool] = []
    for name in names:
        column_type = table.columns[name].type
        if isinstance(column_type, Uint256):
            kinds.append(True)
        elif isinstance(column_type, _PLAIN_TYPES):
            kinds.append(False)
        else:
            return None
    return kinds
