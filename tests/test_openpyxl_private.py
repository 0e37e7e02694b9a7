"""openpyxl's private pieces we rely on are still there and still behave as we use them
(issue 21), and only syncservice/base/openpyxl_private.py touches them.

Each test exercises one entry of openpyxl_private's docstring on a small workbook built
here; a failure names the piece that changed and that entry says what to do about it.
"""

from __future__ import annotations

import ast
import inspect
import zipfile
from pathlib import Path

import openpyxl
import openpyxl.reader.excel
import pytest

from syncservice.base import openpyxl_private
from syncservice.base.openpyxl_private import ReadOnlyWorksheet
from syncservice.intake.read import OpenWorkbook
from syncservice.intake.sheet_xml import read_string_table

import hostile

ROOT = Path(__file__).resolve().parent.parent
HOLDER = ROOT / "syncservice" / "base" / "openpyxl_private.py"
SEE = "see its entry in syncservice/base/openpyxl_private.py's docstring"
STRINGS = ["Enhed:", "Øst", "Beløb i"]


@pytest.fixture
def workbook(tmp_path) -> Path:
    """Two sheets, each with a <dimension>, the first using shared strings."""
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{hostile.MAIN_NS}" count="3" uniqueCount="3">'
               + "".join(f"<si><t>{s}</t></si>" for s in STRINGS) + "</sst>")
    first = hostile._sheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                           '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>3.5</v></c></row>', dimension="A1:B3")
    second = hostile._sheet('<row r="1"><c r="C2"><v>7</v></c></row>', dimension="C2")
    return hostile._write_zip(tmp_path / "lille.xlsx", hostile._package({"Ark": first, "Andet": second}, strings))


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)


# --- ReadOnlyWorksheet._get_size: no_dimension_scan --------------------------------------------


def test_read_only_load_still_sizes_each_sheet_through_get_size_and_the_scan_can_be_skipped(workbook):
    piece = "ReadOnlyWorksheet._get_size (openpyxl.worksheet._read_only)"
    assert callable(getattr(ReadOnlyWorksheet, "_get_size", None)), f"{piece} is gone: {SEE}"
    assert list(inspect.signature(ReadOnlyWorksheet._get_size).parameters) == ["self"], \
        f"{piece} now takes {inspect.signature(ReadOnlyWorksheet._get_size)}, where no_dimension_scan's no-op takes only self: {SEE}"
    original = ReadOnlyWorksheet._get_size
    sized = load(workbook).worksheets[0]
    assert (sized.max_row, sized.max_column) == (3, 2), \
        f"a read-only load no longer reads each sheet's <dimension> on load: {piece} may no longer be where it does; {SEE}"
    with openpyxl_private.no_dimension_scan():
        unsized = load(workbook).worksheets[0]
    assert (unsized.max_row, unsized.max_column) == (None, None), \
        f"with {piece} a no-op, a read-only load still reads each sheet's size: it does so somewhere else now; {SEE}"
    assert ReadOnlyWorksheet._get_size is original, f"no_dimension_scan left {piece} replaced"


# --- openpyxl.reader.excel.read_string_table: shared_strings_read_by ------------------------------


def test_load_workbook_reads_the_shared_strings_through_the_module_global_read_string_table(workbook):
    piece = "openpyxl.reader.excel.read_string_table"
    assert callable(getattr(openpyxl.reader.excel, "read_string_table", None)), f"{piece} is gone: {SEE}"
    original = openpyxl.reader.excel.read_string_table
    read: list[list[str]] = []

    def reader(source):
        read.append([s.upper() for s in read_string_table(source)])
        return read[-1]

    with openpyxl_private.shared_strings_read_by(reader):
        wb = load(workbook)
    assert len(read) == 1, (f"load_workbook called {piece} {len(read)} times, not once: ExcelReader.read_strings "
                            f"no longer reads the strings through it; {SEE}")
    assert read[0] == [s.upper() for s in STRINGS], f"{piece} was not given the shared strings part: {SEE}"
    assert openpyxl_private.shared_strings(wb.worksheets[0]) is read[0], \
        f"the strings {piece} returned are not the ones the sheets use: {SEE}"
    assert openpyxl.reader.excel.read_string_table is original, f"shared_strings_read_by left {piece} replaced"


# --- ReadOnlyWorksheet._get_source(): sheet_xml --------------------------------------------------


def test_a_read_only_sheets_source_is_its_part_of_the_package_as_a_binary_stream(workbook):
    piece = "ReadOnlyWorksheet._get_source() (openpyxl.worksheet._read_only)"
    assert callable(getattr(ReadOnlyWorksheet, "_get_source", None)), f"{piece} is gone: {SEE}"
    with zipfile.ZipFile(workbook) as zf:
        parts = [zf.read(f"xl/worksheets/sheet{i}.xml") for i in (1, 2)]
    wb = load(workbook)
    for ws, part in zip(wb.worksheets, parts):
        assert isinstance(ws, ReadOnlyWorksheet), \
            f"a read-only load makes {type(ws).__name__} sheets, not ReadOnlyWorksheet: {SEE}"
        source = openpyxl_private.sheet_xml(ws)
        with source:
            assert source.read() == part, f"{piece} on sheet {ws.title!r} is not that sheet's XML part: {SEE}"
        assert source.closed, f"{piece}'s stream is not closed by leaving its with block"
    wb.close()


# --- ReadOnlyWorksheet._shared_strings: shared_strings -------------------------------------------


def test_a_read_only_sheet_holds_the_workbooks_shared_strings_in_order(workbook):
    piece = "ReadOnlyWorksheet._shared_strings (openpyxl.worksheet._read_only)"
    wb = load(workbook)
    for ws in wb.worksheets:
        assert hasattr(ws, "_shared_strings"), f"{piece} is gone: {SEE}"
        assert list(openpyxl_private.shared_strings(ws)) == STRINGS, \
            f"{piece} on sheet {ws.title!r} is not the workbook's shared strings in order: {SEE}"


def test_the_pieces_together_read_the_cells_with_their_positions(workbook):
    """What read.py makes of the pieces above: shared strings by index, positions as written."""
    with OpenWorkbook(workbook) as wb:
        first, second = ({c.ref: c.value for _, row in wb.rows(s) for c in row.values()} for s in wb.sheets)
    assert first == {"A1": "Enhed:", "B1": "Øst", "A3": "Beløb i", "B3": 3.5} and second == {"C2": 7}


# --- only openpyxl_private imports them ----------------------------------------------------------


def private_openpyxl_imports(path: Path) -> list[str]:
    """Each `import` of an openpyxl module or name with a part starting with '_' in `path`,
    and each string naming one (importlib.import_module('openpyxl.worksheet._reader')), as 'line: name'."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("openpyxl."):
            names = [node.value]
        for name in names:
            parts = name.split(".")
            if parts[0] == "openpyxl" and any(p.startswith("_") for p in parts[1:]):
                found.append((node.lineno, name))
    return [f"{line}: {name}" for line, name in sorted(found)]


def test_no_module_but_openpyxl_private_imports_a_private_openpyxl_module():
    offenders = {}
    for path in sorted([*(ROOT / "syncservice").rglob("*.py"), *(ROOT / "schemas").rglob("*.py")]):
        relative = path.relative_to(ROOT)
        if path == HOLDER:
            continue
        if found := private_openpyxl_imports(path):
            offenders[relative.as_posix()] = found
    assert offenders == {}, ("these modules import openpyxl's private modules or names themselves; move each piece into "
                             "syncservice/base/openpyxl_private.py, with an entry in its docstring, and import it from there")


def test_the_import_check_finds_every_way_of_naming_a_private_module(tmp_path):
    """So the check above cannot pass by finding nothing."""
    source = tmp_path / "m.py"
    source.write_text("import importlib\nimport openpyxl.worksheet._reader\nfrom openpyxl.worksheet import _reader\n"
                      "from openpyxl.worksheet._read_only import ReadOnlyWorksheet\nfrom openpyxl.cell import _writer as w\n"
                      "importlib.import_module('openpyxl.worksheet._write_only')\n"
                      "from openpyxl.utils import get_column_letter\nfrom ._local import x\nimport openpyxl\n")
    assert private_openpyxl_imports(source) == [
        "2: openpyxl.worksheet._reader", "3: openpyxl.worksheet._reader",
        "4: openpyxl.worksheet._read_only.ReadOnlyWorksheet", "5: openpyxl.cell._writer",
        "6: openpyxl.worksheet._write_only"]
    assert any(f.endswith(": openpyxl.worksheet._read_only.ReadOnlyWorksheet") for f in private_openpyxl_imports(HOLDER))


# --- writing: WriteOnlyWorksheet, cell._style, ws._writer / ws._rows ---------------------------


def test_a_write_only_workbook_makes_write_only_worksheets():
    ws = openpyxl.Workbook(write_only=True).create_sheet("Data")
    assert isinstance(ws, openpyxl_private.WriteOnlyWorksheet), \
        f"Workbook(write_only=True).create_sheet() now returns {type(ws)}: {SEE}"


def test_a_style_array_given_to_another_cell_gives_it_the_same_look(tmp_path):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Ark")
    styled = WriteOnlyCell(ws, value="a")
    styled.font, styled.fill, styled.number_format = Font(bold=True), PatternFill("solid", fgColor="D9E1F2"), "#,##0"
    plain = WriteOnlyCell(ws, value=2)
    openpyxl_private.give_style(plain, openpyxl_private.style_array(styled))
    assert plain.style_id == styled.style_id != 0, f"cell._style no longer carries a cell's look: {SEE}"
    ws.append([styled, plain])
    wb.save(tmp_path / "s.xlsx")
    back = openpyxl.load_workbook(tmp_path / "s.xlsx")["Ark"]["B1"]
    assert (back.font.b, back.fill.fgColor.rgb, back.number_format) == (True, "00D9E1F2", "#,##0"), \
        f"a style array given with give_style is not what the file says: {SEE}"


def test_an_unsaved_write_only_workbook_leaves_no_temp_file_once_discarded():
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Ark")
    ws.append(["a", 1])
    writer = getattr(ws, "_writer", None)
    assert writer is not None and Path(writer.out).exists(), \
        f"a write-only sheet no longer keeps its rows' temp file at ws._writer.out: {SEE}"
    openpyxl_private.discard_unsaved(wb)
    assert not Path(writer.out).exists()


def private_openpyxl_attributes(path: Path) -> list[str]:
    """Attributes named with a leading '_' that openpyxl's cells, sheets and workbooks have,
    read or set on anything but self or cls."""
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([1])
    objects = [wb, ws, WriteOnlyCell(ws, 1), openpyxl.Workbook().active, openpyxl.Workbook().active["A1"],
               ReadOnlyWorksheet]
    names = {n for o in objects for n in [*dir(o), *getattr(o, "__dict__", {})]
             if n.startswith("_") and not n.startswith("__")}
    openpyxl_private.discard_unsaved(wb)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in names and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(f"{node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value in names):
            found.append(f"{node.lineno}: {node.func.id}(…, {node.args[1].value!r})")
    return found


def test_no_module_but_openpyxl_private_touches_openpyxl_objects_private_attributes():
    offenders = {}
    for path in sorted([*(ROOT / "syncservice").rglob("*.py"), *(ROOT / "schemas").rglob("*.py")]):
        if path != HOLDER and (found := private_openpyxl_attributes(path)):
            offenders[path.relative_to(ROOT).as_posix()] = found
    assert offenders == {}, ("these modules read or set private attributes of openpyxl's objects; move each piece into "
                             "syncservice/base/openpyxl_private.py, with an entry in its docstring")
    assert any("_style" in f for f in private_openpyxl_attributes(HOLDER))  # the check does see them
