"""Minimal .xlsx reader (first worksheet, cell text only) on the standard library.

Why: two consumer-health sources ship as Excel files, and openpyxl/pandas would be build
dependencies for about 1,700 rows. An .xlsx file is a zip of XML parts: shared strings plus
one sheet whose cells point into them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_COLUMN = re.compile(r"[A-Z]+")


def _column_index(ref: str) -> int:
    letters = _COLUMN.match(ref)
    index = 0
    for ch in letters.group(0) if letters else "A":
        index = index * 26 + ord(ch) - 64
    return index - 1


def read_xlsx(path: Path) -> list[dict[str, str]]:
    """Rows of the first sheet as dicts keyed by the header row."""
    with zipfile.ZipFile(path) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            for item in root.findall("m:si", _NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{_NS['m']}}}t")))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table: list[list[str]] = []
    for row in sheet.iter(f"{{{_NS['m']}}}row"):
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", _NS):
            value = cell.find("m:v", _NS)
            inline = cell.find("m:is", _NS)
            if cell.get("t") == "s" and value is not None and value.text is not None:
                text = shared[int(value.text)]
            elif inline is not None:
                text = "".join(t.text or "" for t in inline.iter(f"{{{_NS['m']}}}t"))
            else:
                text = value.text if value is not None and value.text else ""
            cells[_column_index(cell.get("r", "A"))] = text
        if cells:
            table.append([cells.get(i, "") for i in range(max(cells) + 1)])
    if not table:
        return []
    header = table[0]
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in table[1:]]
