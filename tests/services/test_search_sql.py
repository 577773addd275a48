"""Tagged unions (services/directory/search/sql.py): one statement, several kinds of row,
each read back as its own named shape; a kind that does not fit is refused when built."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from services.db.tables import Phone, ServiceCode
from services.directory.search.sql import Kind, TaggedUnion


class Code(NamedTuple):
    service_id: str
    code: str


class Number(NamedTuple):
    service_id: str
    number: str
    location_id: str | None


def kinds() -> dict[str, Kind]:
    return {
        "c": Kind(Code, (ServiceCode.service_id, None, ServiceCode.code), []),
        "p": Kind(Number, (Phone.service_id, Phone.number, Phone.location_id), []),
    }


def test_each_row_comes_back_as_its_kind() -> None:
    union = TaggedUnion.of(kinds())
    rows = [("c", "s1", None, "moud"), ("p", "s1", "(413) 555-0101", "loc-1")]
    assert list(union.read(rows)) == [Code("s1", "moud"), Number("s1", "(413) 555-0101", "loc-1")]
    sql = str(union.statement)
    assert "UNION ALL" in sql and "'c'" in sql and "'p'" in sql


def test_a_kind_that_does_not_fit_is_refused() -> None:
    wider = {**kinds(), "x": Kind(Code, (ServiceCode.service_id, ServiceCode.code, None, None), [])}
    with pytest.raises(ValueError, match="width"):
        TaggedUnion.of(wider)
    short = {"c": Kind(Number, (ServiceCode.service_id, None, ServiceCode.code), [])}
    with pytest.raises(ValueError, match="Number"):
        TaggedUnion.of(short)
