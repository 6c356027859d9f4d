"""Damaged workbooks are refused as unreadable, never read as garbage or left to the
workbook reader, which trusts the sizes a file declares. Each case is a file a real office
workbook becomes when a transfer or a disk damages a few bytes (found by the parser fuzz
test: the first took 24 GB of memory and the whole test run with it)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import xlwt
from openpyxl import Workbook

from minsheng.sources.read import SourceFileError, read_file


def _xls(path: Path) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("参保")
    for c, v in enumerate(["姓名", "公民身份号码", "参保日期"]):
        ws.write(0, c, v)
    for r in range(1, 40):
        ws.write(r, 0, f"张{r}")
        ws.write(r, 1, "150302199105271732")
        ws.write(r, 2, "2020-01-01")
    wb.save(str(path))
    return path.read_bytes()


def _xlsx(path: Path) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "公民身份号码", "参保日期"])
    for r in range(1, 40):
        ws.append([f"张{r}", "150302199105271732", "2020-01-01"])
    wb.save(path)
    return path.read_bytes()


def test_it_reads_the_undamaged_files(tmp_path):
    for name, make in (("a.xls", _xls), ("a.xlsx", _xlsx)):
        make(tmp_path / name)
        assert read_file(tmp_path / name).header[:2] == ["姓名", "公民身份号码"]


def test_it_refuses_an_xls_whose_directory_declares_a_huge_stream(tmp_path):
    data = bytearray(_xls(tmp_path / "a.xls"))
    dir_start = struct.unpack_from("<I", data, 0x30)[0]
    root = 512 + dir_start * 512  # the root entry: its stream is the mini stream
    struct.pack_into("<I", data, root + 0x78, 0xFFFFFF00)
    (tmp_path / "b.xls").write_bytes(bytes(data))
    with pytest.raises(SourceFileError, match="not a readable workbook"):
        read_file(tmp_path / "b.xls")


def test_it_refuses_an_xls_whose_directory_entry_is_garbage(tmp_path):
    data = bytearray(_xls(tmp_path / "a.xls"))
    dir_start = struct.unpack_from("<I", data, 0x30)[0]
    data[512 + dir_start * 512 + 128 + 0x42] = 49  # an entry of no known type
    (tmp_path / "b.xls").write_bytes(bytes(data))
    with pytest.raises(SourceFileError, match="not a readable workbook"):
        read_file(tmp_path / "b.xls")


def _central_entry(data: bytes, member: str) -> int:
    """The offset of a member's entry in the ZIP's central directory."""
    end = data.rfind(b"PK\x05\x06")
    count, _size, at = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46 : at + 46 + n].decode() == member:
            return at
        at += 46 + n + m + k
    raise KeyError(member)


def _local_entry(data: bytes, member: str) -> int:
    return struct.unpack_from("<I", data, _central_entry(data, member) + 42)[0]


def test_it_refuses_an_xlsx_part_that_fails_its_checksum(tmp_path):
    data = bytearray(_xlsx(tmp_path / "a.xlsx"))
    part = "xl/worksheets/sheet1.xml"
    central, local = _central_entry(data, part), _local_entry(data, part)
    crc = struct.unpack_from("<I", data, central + 16)[0]
    struct.pack_into("<I", data, central + 16, crc ^ 1)
    struct.pack_into("<I", data, local + 14, crc ^ 1)
    (tmp_path / "b.xlsx").write_bytes(bytes(data))
    with pytest.raises(SourceFileError, match="checksum"):
        read_file(tmp_path / "b.xlsx")


def test_it_refuses_an_xlsx_whose_part_names_disagree(tmp_path):
    data = bytearray(_xlsx(tmp_path / "a.xlsx"))
    data[_local_entry(data, "xl/styles.xml") + 30] = 0  # the local name: "\0l/styles.xml"
    (tmp_path / "b.xlsx").write_bytes(bytes(data))
    with pytest.raises(SourceFileError):
        read_file(tmp_path / "b.xlsx")
