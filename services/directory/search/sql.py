"""SQL the search needs beyond SQLAlchemy's core, the same on SQLite and PostgreSQL: a plain
substring position, a sorted comma-wrapped aggregate, and kind-tagged UNION ALLs (one
statement, several kinds of row) read back as one named, typed row per kind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Text,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class position(FunctionElement[int]):
    """Where a string first holds another, from 1; 0 if nowhere (a plain substring, no
    pattern: case-sensitive on SQLite and PostgreSQL alike, unlike LIKE on SQLite)."""

    type = Integer()
    inherit_cache = True


@compiles(position)
def _position_default(element: position, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"position({needle} IN {haystack})"


@compiles(position, "sqlite")
def _position_sqlite(element: position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position, "postgresql")
def _position_postgresql(element: position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


class joined(FunctionElement[str]):
    """The values of a column over a group, sorted and comma-wrapped (",a,b,"), or NULL when
    there are none."""

    type = Text()
    inherit_cache = True


@compiles(joined)
def _joined_default(element: joined, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite before 3.44 has no ORDER BY inside group_concat: the values come in the order
    # they are read, and each is read here from a primary key (service_id, value), in order.
    return f"(',' || group_concat({compiler.process(element.clauses, **kw)}, ',') || ',')"


@compiles(joined, "postgresql")
def _joined_postgresql(element: joined, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(',' || string_agg({column}, ',' ORDER BY {column}) || ',')"


@dataclass(frozen=True)
class Kind:
    """One SELECT of a tagged union: the shape of its rows (a NamedTuple class), the columns
    it puts in the union's positions (None: NULL there), whose filled positions are the
    shape's fields in order, and its WHERE clauses. Positions line up by type across kinds,
    as PostgreSQL requires of a UNION."""

    shape: type[Any]  # a NamedTuple class
    columns: Sequence[ColumnElement[Any] | None]
    where: Sequence[ColumnElement[bool]]


@dataclass(frozen=True)
class TaggedUnion:
    """A UNION ALL of kinds, each row led by its kind's tag; `read` gives each row back as
    its kind's shape."""

    statement: CompoundSelect
    positions: Mapping[str, tuple[type[Any], tuple[int, ...]]]

    @classmethod
    def of(cls, kinds: Mapping[str, Kind]) -> TaggedUnion:
        widths = {len(kind.columns) for kind in kinds.values()}
        if len(widths) != 1:
            raise ValueError(f"the kinds of a union differ in width: {sorted(widths)}")
        null = literal_column("NULL")
        selects, positions = [], {}
        for tag, kind in kinds.items():
            filled = tuple(i for i, column in enumerate(kind.columns) if column is not None)
            if len(filled) != len(kind.shape._fields):
                raise ValueError(f"{tag}: {len(filled)} columns for {kind.shape.__name__}")
            columns = (null if column is None else column for column in kind.columns)
            selects.append(select(literal_column(f"'{tag}'"), *columns).where(*kind.where))
            positions[tag] = (kind.shape, filled)
        return cls(union_all(*selects), positions)

    def read(self, rows: Iterable[Sequence[Any]]) -> Iterator[Any]:
        """Each row as the shape of its kind."""
        for tag, *values in rows:
            shape, filled = self.positions[tag]
            yield shape._make(values[i] for i in filled)
