"""Reading CSV files as legacy systems produce them, and writing CSV that a spreadsheet cannot subvert."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvShapeError(ValueError):
    """The file as a whole cannot be read: wrong headers, or not text."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, which legacy exports often use."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CsvShapeError("The file is neither UTF-8 nor Windows-1252 text; save it as CSV (UTF-8).") from exc


def read_rows(data: bytes, expected: list[str], required: Iterable[str] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row. Refuses the whole file if its headers are not the expected ones."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvShapeError("The file is empty: the first line must be the headers.") from None
    missing = [h for h in required if h not in header]
    unknown = [h for h in header if h not in expected]
    if missing or unknown or len(set(header)) != len(header):
        raise CsvShapeError(
            f"The headers are not right. Expected: {','.join(expected)}. Found: {','.join(header)}."
            + (f" Missing: {', '.join(missing)}." if missing else "")
            + (f" Not recognised: {', '.join(unknown)}." if unknown else ""))
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield number, {"__error__": f"has {len(values)} fields where the headers have {len(header)}"}
            continue
        yield number, {h: v.strip() for h, v in zip(header, values, strict=True)}


def neutralise(value: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A CSV download's body: a header row, CRLF line ends, and every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralise(v) for v in row])


# A refused row: its line number in the file, the reason, and the row as read.
Rejected = list[tuple[int, str, dict[str, str]]]


@dataclass(frozen=True)
class ImportReport:
    """What one import of a force's records did."""

    batch_id: int
    loaded: int
    unchanged: int
    rejected: int


def write_rejects(path: Path, columns: list[str], rejected: Rejected) -> None:
    """The refused rows, each with its line number and reason, as a CSV for whoever ran the import."""
    write_csv(path, ["row_number", "reason", *columns],
              ([n, reason, *(raw.get(c, "") for c in columns)] for n, reason, raw in rejected))

