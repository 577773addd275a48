"""Import Open Referral HSDS 3.0 data into the directory: a tabular data package (a folder of
CSV files with datapackage.json) or the JSON `service_full` form (one service or a list).

Both forms become the same tables (hsds_read.py) and go through the same validation, by the
table specifications in hsds_tables.py. Rows are upserted by id (re-importing updates), and
every invalid value is reported by table, row and field. This module never commits: the caller
owns the transaction and decides, from the report, whether a run with invalid rows is kept
(`--partial`) or rolled back. Taxonomy terms become Tandem codes and features through the
staff-edited mapping (taxonomy_mapping.py); others are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import ServiceCode, ServiceFeature
from services.directory.hsds_read import Row, Tables, read_source
from services.directory.hsds_tables import TABLES, TableSpec
from services.directory.search import refresh_search_rows
from services.directory.taxonomy import Taxonomy
from services.directory.taxonomy_mapping import FALSE_VALUES, TermMapping, load_mapping

FLUSH_EVERY = 1000

# progress(table, rows done, rows in table)
Progress = Callable[[str, int, int], None]


@dataclass
class Problem:
    table: str
    row: int  # 1-based data row (the header is row 0); for JSON, the n-th row of that table
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    unmapped_terms: set[str] = field(default_factory=set)

    @property
    def invalid_rows(self) -> set[tuple[str, int]]:
        return {(p.table, p.row) for p in self.problems}

    def lines(self) -> Iterator[str]:
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("skipped", self.skipped),
        ):
            if counts:
                yield f"{label}: " + ", ".join(f"{t} {n}" for t, n in counts.items())
        for problem in self.problems:
            yield f"invalid: {problem}"
        if self.unmapped_terms:
            yield "unmapped taxonomy terms: " + ", ".join(sorted(self.unmapped_terms))


async def import_hsds(
    session: AsyncSession,
    path: Path,
    taxonomy: Taxonomy,
    *,
    mapping: TermMapping | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a package folder or a service_full JSON file; see import_tables."""
    return await import_tables(
        session, read_source(path), taxonomy, mapping=mapping, progress=progress
    )


# The CSV package entry point of earlier versions.
import_hsds_package = import_hsds


async def import_tables(
    session: AsyncSession,
    tables: Tables,
    taxonomy: Taxonomy,
    *,
    mapping: TermMapping | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    mapping = mapping if mapping is not None else load_mapping(taxonomy)
    report = ImportReport()
    existing: dict[str, set[str]] = {}
    imported: dict[str, set[str]] = {}
    for table, spec in TABLES.items():
        existing[table] = set(await session.scalars(select(spec.model.id)))  # type: ignore[attr-defined]
        imported[table] = set()
        rows = tables.get(table, [])
        for number, row in enumerate(rows, start=1):
            values = _validate(table, spec, number, row, report)
            if values is not None and values["id"] in imported[table]:
                report.problems.append(
                    Problem(table, number, "id", f"duplicate id {values['id']} in this import")
                )
                values = None
            if values is not None:
                values = _check_references(table, spec, number, values, existing, imported, report)
            if values is None:
                report.skipped[table] += 1
            else:
                if values["id"] in existing[table]:
                    await session.merge(spec.model(**values))
                    report.updated[table] += 1
                else:
                    session.add(spec.model(**values))
                    report.created[table] += 1
                imported[table].add(str(values["id"]))
            if number % FLUSH_EVERY == 0:
                await session.flush()
                session.expunge_all()
                if progress:
                    progress(table, number, len(rows))
        if rows and progress:
            progress(table, len(rows), len(rows))
        await session.flush()
    await _import_attributes(session, tables, taxonomy, mapping, imported["services"], report)
    # Statuses, codes and coordinates may all have changed: rebuild what search reads.
    await refresh_search_rows(session)
    return report


def _validate(
    table: str, spec: TableSpec, number: int, row: Row, report: ImportReport
) -> dict[str, object] | None:
    values: dict[str, object] = {}
    ok = True
    for name in spec.required:
        if not row.get(name):
            report.problems.append(Problem(table, number, name, "required value is missing"))
            ok = False
        else:
            values[name] = row[name]
    for name in spec.optional:
        raw = row.get(name, "")
        if not raw:
            continue
        try:
            values[name] = spec.convert[name](raw) if name in spec.convert else raw
        except ValueError as error:
            # An invalid optional value is dropped and reported; the row is kept unless the
            # field is strict.
            report.problems.append(Problem(table, number, name, str(error)))
            ok = ok and name not in spec.strict
    if spec.together and any(f in values for f in spec.together):
        if not all(f in values for f in spec.together):
            for name in spec.together:
                if values.pop(name, None) is not None:
                    report.problems.append(
                        Problem(
                            table, number, name, "dropped: needs " + " and ".join(spec.together)
                        )
                    )
    return values if ok else None


def _check_references(
    table: str,
    spec: TableSpec,
    number: int,
    values: dict[str, object],
    existing: dict[str, set[str]],
    imported: dict[str, set[str]],
    report: ImportReport,
) -> dict[str, object] | None:
    """Drop a dangling optional reference; skip the row for a dangling required one."""
    for name, target in spec.references.items():
        ref = values.get(name)
        if ref is None or ref in imported.get(target, ()) or ref in existing.get(target, ()):
            continue
        report.problems.append(Problem(table, number, name, f"no {target} row with id {ref}"))
        if name in spec.required:
            return None
        del values[name]
    return values


async def _import_attributes(
    session: AsyncSession,
    tables: Tables,
    taxonomy: Taxonomy,
    mapping: TermMapping,
    service_ids: set[str],
    report: ImportReport,
) -> None:
    if "attributes" not in tables:
        return
    terms = {row.get("id", ""): row for row in tables.get("taxonomy_terms", [])}
    codes: dict[str, set[str]] = {}
    features: dict[str, set[str]] = {}
    for number, row in enumerate(tables["attributes"], start=1):
        if row.get("link_entity") != "service":
            continue
        service_id, term_id = row.get("link_id", ""), row.get("taxonomy_term_id", "")
        term = terms.get(term_id)
        if service_id not in service_ids:
            report.problems.append(
                Problem("attributes", number, "link_id", "links to a service not in this import")
            )
            continue
        if term is None:
            report.problems.append(
                Problem("attributes", number, "taxonomy_term_id", f"no taxonomy term {term_id}")
            )
            continue
        value = row.get("value", "")
        target = mapping.resolve(taxonomy, term.get("code", ""), term.get("name", ""), value)
        if target is None:
            report.unmapped_terms.add(term.get("code") or term.get("name") or term_id)
        elif target in taxonomy.labels:
            codes.setdefault(service_id, set()).add(target)
        elif value.lower() not in FALSE_VALUES:
            features.setdefault(service_id, set()).add(target)
    # Replace each imported service's codes and features with what the import says now.
    ids = sorted(service_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(delete(ServiceCode).where(ServiceCode.service_id.in_(chunk)))
        await session.execute(delete(ServiceFeature).where(ServiceFeature.service_id.in_(chunk)))
    session.add_all(ServiceCode(service_id=s, code=c) for s, cs in codes.items() for c in cs)
    session.add_all(
        ServiceFeature(service_id=s, feature=f) for s, fs in features.items() for f in fs
    )
    await session.flush()
    report.created["service_codes"] += sum(len(v) for v in codes.values())
    report.created["service_features"] += sum(len(v) for v in features.values())
