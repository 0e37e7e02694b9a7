"""Hostile workbooks, built in code: what an attacker, a broken program or a careless
person could leave in the watched folder.

`build(folder)` writes every file of HOSTILE into `folder` and returns their paths.
Each entry of HOSTILE is (builder, expected): the builder writes one file, `expected`
is the rule id of the verdict's first error under the service's default limits, or
None where the workbook must be accepted. Nothing here needs a network, Excel or
LibreOffice; the OLE2 (CFB) containers and odd zips are written byte by byte.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

import book

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BOMB_MB = 350  # over the default limit of 300 MB unpacked

# --- plain packages, written raw ------------------------------------------------------------


def _content_types(sheets: int, shared_strings: bool) -> str:
    parts = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                    f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, sheets + 1))
    if shared_strings:
        parts += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' + parts + "</Types>")


def _package(sheets: dict[str, str], shared_strings: str | None = None) -> dict[str, bytes]:
    """The parts of a minimal workbook: {sheet name: its worksheet XML}."""
    names = list(sheets)
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(names) + 1))
    if shared_strings is not None:
        rels += f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    parts = {
        "[Content_Types].xml": _content_types(len(names), shared_strings is not None),
        "_rels/.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
                        f'.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                            "<sheets>" + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                                                 for i, n in enumerate(names, start=1)) + "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                                       f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>'),
    }
    for i, xml in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return {name: text.encode("utf-8") for name, text in parts.items()}


def _write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _sheet(rows_xml: str, *, prolog: str = "", dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN_NS}">{dim}'
            f"<sheetData>{rows_xml}</sheetData></worksheet>")


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _report(path: Path, rows: book.Rows | None = None, sheet: str = "Handleplan") -> Path:
    return book.save(path, {sheet: rows if rows is not None else book.handleplan()})


# --- XML entities ------------------------------------------------------------------------------

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def billion_laughs_in_sheet(folder: Path) -> Path:
    """Entity expansion ('billion laughs'): 10^9 'lol's from a few hundred bytes, in a sheet."""
    sheet = _sheet(f'<row r="1">{_inline("A1", "&lol9;")}</row>', prolog=LAUGHS)
    return _write_zip(folder / "billion_laughs_sheet.xlsx", _package({"Ark1": sheet}))


def billion_laughs_in_shared_strings(folder: Path) -> Path:
    strings = (f'<?xml version="1.0" encoding="UTF-8"?>{LAUGHS}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1">'
               "<si><t>&lol9;</t></si></sst>")
    sheet = _sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return _write_zip(folder / "billion_laughs_shared_strings.xlsx", _package({"Ark1": sheet}, strings))


def external_entity(folder: Path) -> Path:
    """XXE: a shared string that would pull in a file of the server's."""
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    sheet = _sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return _write_zip(folder / "external_entity.xlsx", _package({"Ark1": sheet}, strings))


# --- zip bombs ---------------------------------------------------------------------------------


def _zeros_deflated(megabytes: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, size) of `megabytes` MB of zero bytes, made in chunks (~0.5 s)."""
    chunk = bytes(1 << 20)
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    out, crc = [], 0
    for _ in range(megabytes):
        out.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    out.append(packer.flush())
    return b"".join(out), crc, megabytes << 20


def _raw_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written by hand: (name, stored bytes, method, CRC-32, declared unpacked size)
    per member, so a member may declare a size that is not the truth."""
    out = io.BytesIO()
    central = []
    for name, data, method, crc, size in members:
        offset = out.tell()
        raw_name = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size,
                              len(raw_name), 0) + raw_name + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data),
                                   size, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    path.write_bytes(out.getvalue())
    return path


def _members(parts: dict[str, bytes]) -> list[tuple[str, bytes, int, int, int]]:
    out = []
    for name, data in parts.items():
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        out.append((name, packer.compress(data) + packer.flush(), 8, zlib.crc32(data), len(data)))
    return out


def zip_bomb(folder: Path) -> Path:
    """A 1.6 MB file whose sheet honestly declares 350 MB unpacked: over the limit, refused unread."""
    stream, crc, size = _zeros_deflated(BOMB_MB)
    parts = _package({"Ark1": _sheet("")})
    members = [m for m in _members(parts) if m[0] != "xl/worksheets/sheet1.xml"]
    return _raw_zip(folder / "zip_bomb.xlsx", members + [("xl/worksheets/sheet1.xml", stream, 8, crc, size)])


def zip_bomb_lying(folder: Path) -> Path:
    """The same stream, its sheet declaring 4 KB: the sizes pass, and the reader must not
    inflate more than was declared (zipfile stops there, and the CRC then fails)."""
    stream, crc, _ = _zeros_deflated(BOMB_MB)
    parts = _package({"Ark1": _sheet("")})
    members = [m for m in _members(parts) if m[0] != "xl/worksheets/sheet1.xml"]
    return _raw_zip(folder / "zip_bomb_lying.xlsx", members + [("xl/worksheets/sheet1.xml", stream, 8, crc, 4096)])


# --- sizes at Excel's limits ---------------------------------------------------------------------


def million_rows_claimed(folder: Path) -> Path:
    """A report, then a cell in the last row and column Excel has: the sheet claims
    A1:XFD1048576 (17 billion cells), but only the rows that exist may cost anything."""
    path = _report(folder / "million_rows_claimed.xlsx")
    wb = _load(path)
    wb["Handleplan"]["XFD1048576"] = "slut"
    wb.save(path)
    return path


def column_xfd(folder: Path) -> Path:
    """The whole report pushed to the right edge: its last column is XFD (16,384)."""
    shift = 16384 - 4
    rows = [[None] * shift + row for row in book.handleplan()]
    return book.save(folder / "column_xfd.xlsx", {"Handleplan": rows})


def million_empty_rows(folder: Path) -> Path:
    """No report, and 1,048,576 formatted but empty rows: the header search must stop at
    row 31, not parse a million rows looking for the next filled one."""
    rows = '<row r="1">' + _inline("A1", "Noter") + "</row>" + "".join(
        f'<row r="{n}" s="1" customFormat="1" ht="15" customHeight="1"/>' for n in range(2, 1_048_577))
    return _write_zip(folder / "million_empty_rows.xlsx", _package({"Noter": _sheet(rows)}))


def wide_rows(folder: Path) -> Path:
    """31 rows of 16,384 filled cells each: the header search looks at every cell of
    each row, so each cell must cost little (this took minutes before)."""
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{_col(c)}{r}"><v>{c}</v></c>' for c in range(1, 16385))
                   + "</row>" for r in range(1, 32))
    return _write_zip(folder / "wide_rows.xlsx", _package({"Ark1": _sheet(rows, dimension="A1:XFD31")}))


def huge_shared_string(folder: Path) -> Path:
    """One shared string of 1 MB (over Excel's 32,767 characters) in every cell of 40 rows."""
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="1" uniqueCount="1">'
               f"<si><t>{'Enhed ' + 'x' * (1 << 20)}</t></si></sst>")
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in "ABC") + "</row>"
                   for r in range(1, 41))
    return _write_zip(folder / "huge_shared_string.xlsx", _package({"Ark1": _sheet(rows)}, strings))


LONG = 32_767  # the most characters Excel keeps in a cell


def long_cells(folder: Path) -> Path:
    """Cells of 32,767 characters: a title, a unit, an area's name."""
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[0][0] = "Støtte eget hjem " + "ø" * (LONG - 17)
    rows = book.handleplan(unit="Ballerup " + "å" * (LONG - 9), lines=lines)
    rows[0][0] = "Status " + "x" * (LONG - 7)
    return book.save(folder / "long_cells.xlsx", {"Handleplan": rows})


def long_cell_in_number_column(folder: Path) -> Path:
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "9" * LONG
    lines[2][2] = "ca. " + "5" * (LONG - 4)
    rows = book.handleplan(lines=lines, total=False)
    return book.save(folder / "long_cell_in_number_column.xlsx", {"Handleplan": rows})


def overflowing_numbers(folder: Path) -> Path:
    """Number cells no spreadsheet program writes: 1e999 and -1e999 (a float of inf) and an
    integer of 400 digits (too large for a float), where a handleplan's figures stand."""
    path = book.save(folder / "overflowing_numbers.xlsx", {"Handleplan": book.handleplan(total=False)})
    return _patch_values(path, {"C10": "1e999", "D10": "-1e999", "B11": "9" * 400})


def huge_figure(folder: Path) -> Path:
    """1e307 in mio. kr.: a number Excel holds, that overflows to inf in kroner."""
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][1] = 1e307
    return book.save(folder / "huge_figure.xlsx", {"Handleplan": book.handleplan(lines=lines, total=False)})


# --- odd text ---------------------------------------------------------------------------------

RTL_UNIT = "مركز الرعاية \u200fBallerup"  # Arabic, a right-to-left mark, then Latin
RTL_LINES = [["מרכז יום", 6, 3.6, 3.6], ["Bo\u202etilbud", 5, 0.8, 1.1], ["Støtte\x7f\x85 eget hjem", 0.8, 0.2, 0.5],
             ["Ledsage\tordning", 5, 4.5, 4.7]]


def control_and_rtl(folder: Path) -> Path:
    """Control characters (tab, line breaks, NEL, DEL, Excel's _x0007_ escape written as
    text) in labels, and right-to-left text and direction marks in values."""
    rows = book.handleplan(unit=RTL_UNIT, lines=RTL_LINES,
                           header=["Område\t", "Mål\r\n", "Realiseret\x85 30.11 2015", "Forventet_x0007_"])
    rows[2][0] = "Enhed:\t"
    path = book.save(folder / "control_and_rtl.xlsx", {"Handleplan": rows})
    wb = _load(path)
    wb["Handleplan"].sheet_view.rightToLeft = True  # shown right to left, as in an Arabic or Hebrew Excel
    wb.save(path)
    return path


def case_twin_sheets(folder: Path) -> Path:
    """Two sheets named 'Handleplan' and 'HANDLEPLAN' (Excel forbids it; a writer did it
    anyway), holding the same report: the same (kind, unit, year) twice."""
    path = book.save(folder / "case_twin_sheets.xlsx", {"Handleplan": book.handleplan(),
                                                        "Twin": book.handleplan()})
    return _rename_sheet(path, "Twin", "HANDLEPLAN")


def case_twin_sheets_two_units(folder: Path) -> Path:
    path = book.save(folder / "case_twin_sheets_two_units.xlsx",
                     {"Handleplan": book.handleplan(), "Twin": book.handleplan(unit="Handicap, Ballerup")})
    return _rename_sheet(path, "Twin", "HANDLEPLAN")


def merged_headers(folder: Path) -> Path:
    """Seed 003's two-row header with every merge a person makes: the title across the
    whole sheet width (A1:XFD1), each quarter over its Tilgang/Afgang pair, the name,
    start and end labels down both header rows."""
    path = book.save(folder / "merged_headers.xlsx", {"Tilgang og afgang": book.tilgang(quarters=3)})
    wb = _load(path)
    ws = wb["Tilgang og afgang"]
    for ref in ("A1:XFD1", "A6:A7", "B6:B7", "C6:D6", "E6:F6", "G6:H6", "I6:I7"):
        ws.merge_cells(ref)
    wb.save(path)
    return path


def merged_headers_deep(folder: Path) -> Path:
    """Each header label of a handleplan merged down over three rows: the two rows under
    the labels are blank to a reader of cells, so the table under them is empty."""
    rows = book.handleplan()
    rows[8:8] = [[], []]  # rows 9 and 10: covered by the merged header cells
    path = book.save(folder / "merged_headers_deep.xlsx", {"Handleplan": rows})
    wb = _load(path)
    for col in "ABCD":
        wb["Handleplan"].merge_cells(f"{col}8:{col}10")
    wb.save(path)
    return path


# --- not workbooks -----------------------------------------------------------------------------


def _cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (MS-CFB, version 3, 512-byte sectors) holding
    `streams` in its root storage. Each stream is padded to 4,096 bytes, so none goes to
    the mini stream; the directory is one chain of right siblings in CFB name order."""
    end, free, fat_sect, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    data = b""
    chains, starts, sizes = [], {}, {}
    for name in names:
        body = streams[name].ljust(4096, b"\0")  # at the mini stream cutoff: a regular stream
        sizes[name] = len(body)
        body += b"\0" * (-len(body) % 512)
        first = len(data) // 512
        count = len(body) // 512
        starts[name] = first
        chains += list(range(first + 1, first + count)) + [end]
        data += body
    dir_sector = len(data) // 512
    entries = len(names) + 1
    dir_bytes = b""

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, no_stream, right, child, b"\0" * 16, 0, 0, 0,
                           start, size)

    dir_bytes += entry("Root Entry", 5, 1 if names else no_stream, no_stream, end, 0)
    for i, name in enumerate(names, start=1):
        right = i + 1 if i < len(names) else no_stream
        dir_bytes += entry(name, 2, no_stream, right, starts[name], sizes[name])
    dir_bytes = dir_bytes.ljust(-(-entries * 128 // 512) * 512, b"\0")
    dir_count = len(dir_bytes) // 512
    chains += list(range(dir_sector + 1, dir_sector + dir_count)) + [end]
    fat_sector = dir_sector + dir_count
    chains.append(fat_sect)
    assert len(chains) <= 128, "one FAT sector is enough for these small files"
    fat = struct.pack(f"<{len(chains)}I", *chains).ljust(512, b"\xff")
    difat = struct.pack("<I", fat_sector) + b"\xff" * (109 * 4 - 4)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), b"\0" * 16, 0x3E, 3, 0xFFFE,
                         9, 6, b"\0" * 6, 0, 1, dir_sector, 0, 4096, end, 0, end, 0) + difat
    assert len(header) == 512
    return header + data + dir_bytes + fat


BIFF8_BOF = bytes.fromhex("0908100000060500bb0dcc07c1000000060000000a000000")  # BOF record, then EOF


def encrypted(folder: Path) -> Path:
    """A password-protected .xlsx as Excel saves it: an OLE2 container with the streams
    EncryptionInfo and EncryptedPackage (MS-OFFCRYPTO 2.3.4), contents made up."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version='1.0'?><encryption/>"
    package = struct.pack("<Q", 9000) + bytes(range(256)) * 40
    path = folder / "encrypted.xlsx"
    path.write_bytes(_cfb({"EncryptionInfo": info, "EncryptedPackage": package,
                           "\x06DataSpaces": b""}))
    return path


def xls_renamed(folder: Path) -> Path:
    """An old .xls (an OLE2 container with a Workbook stream) renamed to .xlsx."""
    path = folder / "xls_renamed.xlsx"
    path.write_bytes(_cfb({"Workbook": BIFF8_BOF, "\x05SummaryInformation": b""}))
    return path


def xls_mentioning_encryption(folder: Path) -> Path:
    """An .xls whose text holds the word EncryptionInfo (UTF-16, as BIFF stores it): old
    format, not encrypted; only a stream of that name makes an encrypted workbook."""
    path = folder / "xls_mentioning_encryption.xlsx"
    path.write_bytes(_cfb({"Workbook": BIFF8_BOF + "Se EncryptionInfo".encode("utf-16-le")}))
    return path


def truncated(folder: Path) -> Path:
    """A real workbook cut off halfway through copying: no central directory."""
    whole = _report(folder / "whole.tmp.xlsx")
    data = whole.read_bytes()
    whole.unlink()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def empty(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def csv_renamed(folder: Path) -> Path:
    path = folder / "csv_renamed.xlsx"
    path.write_text("Enhed;Ballerup\nÅr;2015\nOmråde;Mål;Realiseret;Forventet\nBPA;0,8;0,2;0,5\n", encoding="utf-8")
    return path


# --- helpers ---------------------------------------------------------------------------------


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _load(path: Path) -> Workbook:
    import openpyxl

    return openpyxl.load_workbook(path)


def _patch_values(path: Path, values: dict[str, str]) -> Path:
    """Write raw <v> text into cells of the first sheet (openpyxl would refuse it)."""
    import re

    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, text in values.items():
        xml, n = re.subn(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{text}</v>", xml)
        assert n == 1, ref
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    return _write_zip(path, parts)


def _rename_sheet(path: Path, old: str, new: str) -> Path:
    """Rename a sheet in workbook.xml directly: openpyxl would refuse a name that
    differs from another only in case."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
    return _write_zip(path, parts)


HOSTILE: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    "billion_laughs_sheet.xlsx": (billion_laughs_in_sheet, "file.corrupt"),
    "billion_laughs_shared_strings.xlsx": (billion_laughs_in_shared_strings, "file.corrupt"),
    "external_entity.xlsx": (external_entity, "file.corrupt"),
    "zip_bomb.xlsx": (zip_bomb, "file.too_large"),
    "zip_bomb_lying.xlsx": (zip_bomb_lying, "file.corrupt"),
    "million_rows_claimed.xlsx": (million_rows_claimed, None),
    "column_xfd.xlsx": (column_xfd, None),
    "million_empty_rows.xlsx": (million_empty_rows, "file.no_report_sheet"),
    "wide_rows.xlsx": (wide_rows, "file.no_report_sheet"),
    "huge_shared_string.xlsx": (huge_shared_string, "file.no_report_sheet"),
    "long_cells.xlsx": (long_cells, None),
    "long_cell_in_number_column.xlsx": (long_cell_in_number_column, "value.not_number"),
    "overflowing_numbers.xlsx": (overflowing_numbers, "value.not_number"),
    "huge_figure.xlsx": (huge_figure, "value.too_large"),
    "control_and_rtl.xlsx": (control_and_rtl, None),
    "case_twin_sheets.xlsx": (case_twin_sheets, "report.duplicate_sheet"),
    "case_twin_sheets_two_units.xlsx": (case_twin_sheets_two_units, None),
    "merged_headers.xlsx": (merged_headers, None),
    "merged_headers_deep.xlsx": (merged_headers_deep, "table.empty"),
    "encrypted.xlsx": (encrypted, "file.encrypted"),
    "xls_renamed.xlsx": (xls_renamed, "file.xls"),
    "xls_mentioning_encryption.xlsx": (xls_mentioning_encryption, "file.xls"),
    "truncated.xlsx": (truncated, "file.not_workbook"),
    "empty.xlsx": (empty, "file.empty"),
    "csv_renamed.xlsx": (csv_renamed, "file.not_workbook"),
}


def build(folder: Path) -> dict[str, Path]:
    """Write every hostile file into `folder`; {file name: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, (builder, _) in HOSTILE.items():
        out[name] = builder(folder)
        assert out[name].name == name, (name, out[name])
    return out


if __name__ == "__main__":  # python tests/hostile.py FOLDER: write them to look at
    import sys

    for p in build(Path(sys.argv[1])).values():
        print(p, p.stat().st_size)
