"""The bad-input corpus: every file a user can get wrong gets a specific, readable IngestError."""

import gzip
import io
import json
import struct
import zipfile

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.ingest import IngestError, inspect_file, read_table
from datasets.ingest import formats as formats_module
from datasets.ingest import readers as readers_module


def refused(path: str, filename: str, **kwargs) -> IngestError:
    """Both entry points must refuse the file the same way; return the error."""
    with pytest.raises(IngestError) as inspected:
        inspect_file(path, filename, **kwargs)
    with pytest.raises(IngestError) as read:
        read_table(path, filename, **kwargs)
    assert inspected.value.code == read.value.code
    return read.value


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(write, content):
    error = refused(write("empty.csv", content), "empty.csv")
    assert (error.code, error.message) == ("empty", "The file is empty.")


def test_empty_gzip(write):
    assert refused(write("empty.csv.gz", gzip.compress(b"")), "empty.csv.gz").code == "empty"


def test_header_without_rows(write):
    error = refused(write("header.csv", "id,name,amount\n"), "header.csv")
    assert error.code == "no_rows"
    assert "header row but no data rows" in error.message


def test_binary_garbage_named_csv(write):
    garbage = bytes((i * 7919) % 256 for i in range(20_000))
    error = refused(write("data.csv", garbage), "data.csv")
    assert error.code == "binary"
    assert "data.csv" in error.message


@pytest.mark.parametrize("filename", ["setup.exe", "report.docx"])
def test_unknown_extension(write, filename):
    error = refused(write(filename, b"MZ\x90\x00"), filename)
    assert error.code == "unknown_format"
    assert "CSV" in error.message


def test_ragged_row_names_the_line(write):
    error = refused(write("ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n11,12,13\n"), "ragged.csv")
    assert error.code == "ragged"
    assert error.message.startswith("Line 4 has 4 fields but the header has 3.")


def test_short_row_names_the_line(write):
    error = refused(write("short.csv", "a;b;c\n1;2;3\n4;5\n"), "short.csv")
    assert "Line 3 has 2 fields but the header has 3" in error.message


def test_ragged_row_beyond_the_sample_is_found_by_the_full_read(write):
    good = "".join(f"{i},{i % 97},word{i % 13}\n" for i in range(200_000))  # ~3.5 MB
    path = write("late.csv", "id,n,w\n" + good + "1,2\n" + "5,6,7\n")
    inspect_file(path, "late.csv")  # the sample is clean
    with pytest.raises(IngestError) as error:
        read_table(path, "late.csv")
    assert error.value.code == "ragged"
    assert error.value.message.startswith("Line 200,002 has 2 fields but the header has 3.")


def test_too_many_columns(write):
    path = write("wide.csv", ",".join(f"c{i}" for i in range(30)) + "\n" + ",".join("1" * 30) + "\n")
    error = refused(path, "wide.csv", max_columns=20)
    assert error.code == "too_many_columns"
    assert "30 columns" in error.message and "20" in error.message


def test_too_many_columns_in_json(write):
    path = write("wide.json", json.dumps([{f"k{i}": i for i in range(30)}]))
    assert refused(path, "wide.json", max_columns=20).code == "too_many_columns"


def test_too_many_columns_in_xlsx(tmp_path):
    path = str(tmp_path / "wide.xlsx")
    book = openpyxl.Workbook()
    book.active.append([f"c{i}" for i in range(30)])
    book.active.append(list(range(30)))
    book.save(path)
    assert refused(path, "wide.xlsx", max_columns=20).code == "too_many_columns"


def test_corrupt_parquet(write, tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"a": list(range(100))}), good)
    truncated = good.read_bytes()[:-30]
    for name, content in [("truncated.parquet", truncated), ("garbage.parquet", b"PAR1" + b"\x13" * 500)]:
        error = refused(write(name, content), name)
        assert error.code == "corrupt"
        assert "Parquet" in error.message


def test_corrupt_xlsx(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not really a workbook")
    error = refused(write("broken.xlsx", buffer.getvalue()), "broken.xlsx")
    assert error.code == "corrupt"


def test_zip_that_is_not_a_workbook(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("word/document.xml", "<doc/>")
    assert refused(write("renamed.xlsx", buffer.getvalue()), "renamed.xlsx").code == "corrupt"


def forge_declared_size(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size in every central-directory entry (what zipfile trusts)."""
    data = bytearray(data)
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        struct.pack_into("<I", data, offset + 24, size)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return bytes(data)


def minimal_xlsx(tmp_path) -> bytes:
    path = tmp_path / "small.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["a"])
    book.active.append([1])
    book.save(path)
    return path.read_bytes()


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if openpyxl is ever asked to parse the workbook."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(readers_module.openpyxl, "load_workbook", forbidden)


def test_xlsx_declaring_a_huge_size_is_refused_before_parsing(write, tmp_path, no_parsing):
    bomb = forge_declared_size(minimal_xlsx(tmp_path), 0xFFFF0000)
    error = refused(write("bomb.xlsx", bomb), "bomb.xlsx")
    assert error.code == "zip_bomb"
    assert "without being decompressed" in error.message


def test_highly_compressible_xlsx_is_refused_before_parsing(write, no_parsing):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"<c><v>0</v></c>" * 70_000  # ~1 MB
            for _ in range(80):
                sheet.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1_000_000
    error = refused(write("bomb.xlsx", data), "bomb.xlsx")
    assert error.code == "zip_bomb"
    assert "to 1" in error.message


def test_zip_wrapper_bomb_is_refused(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", "a\n1\n")
    error = refused(write("bomb.zip", forge_declared_size(buffer.getvalue(), 0xFFFF0000)), "bomb.zip")
    assert error.code == "zip_bomb"


def test_deeply_nested_json_is_refused(write):
    records = [{"id": 1, "customer": {"address": {"city": "Paris"}}}]
    error = refused(write("deep.json", json.dumps(records)), "deep.json")
    assert error.code == "nested"
    assert "'customer'" in error.message and "flatten" in error.message


def test_array_of_objects_inside_a_record_is_too_deep(write):
    line = json.dumps({"id": 1, "items": [{"sku": "a"}, {"sku": "b"}]})
    error = refused(write("orders.jsonl", line + "\n" + line + "\n"), "orders.jsonl")
    assert error.code == "nested"
    assert "items" in error.message


def test_pathologically_deep_json_is_refused_not_crashed(write):
    assert refused(write("abyss.json", "[" * 100_000 + "]" * 100_000), "abyss.json").code in ("nested", "json_shape")


@pytest.mark.parametrize(
    "content",
    ['"just a string"', "42", "[1, 2, 3]", '[["a", "b"], [1, 2]]', '{"a": 1, "b": 2}'],
)
def test_json_that_is_not_records(write, content):
    error = refused(write("shape.json", content), "shape.json")
    assert error.code == "json_shape"
    assert "array of records" in error.message


def test_invalid_json(write):
    error = refused(write("broken.json", '[{"a": 1}, {"a": }]'), "broken.json")
    assert error.code == "invalid_json"
    assert "line 1" in error.message


def test_invalid_json_line_names_the_line(write):
    error = refused(write("broken.jsonl", '{"a": 1}\n{"a": 2\n{"a": 3}\n'), "broken.jsonl")
    assert error.code == "invalid_json"
    assert error.message.startswith("Line 2 ")


def test_empty_json_array(write):
    assert refused(write("none.json", "[]"), "none.json").code == "no_rows"


def test_bad_options(write):
    path = write("data.csv", "a,b\n1,2\n")
    for options in ({"delimiter": ";;"}, {"encoding": "klingon-8"}, {"decimal": "x"}):
        with pytest.raises(IngestError) as error:
            inspect_file(path, "data.csv", options)
        assert error.value.code == "bad_option"


def test_gzip_bomb_is_stopped_while_decompressing(write, monkeypatch):
    monkeypatch.setattr(formats_module, "MAX_UNCOMPRESSED_BYTES", 100_000)
    for name, content in [("bomb.csv.gz", b"a,b\n" + b"0,0\n" * 250_000), ("bomb.jsonl.gz", b'{"a": 0}\n' * 100_000)]:
        with pytest.raises(IngestError) as error:
            read_table(write(name, gzip.compress(content)), name)
        assert error.value.code == "zip_bomb", name
        assert "limit" in error.value.message


def test_truncated_gzip_is_reported_as_damaged(write):
    data = gzip.compress(b"a,b\n" + "".join(f"{i},{i * 7}\n" for i in range(200_000)).encode())
    with pytest.raises(IngestError) as error:
        read_table(write("cut.csv.gz", data[: len(data) // 2]), "cut.csv.gz")
    assert error.value.code == "corrupt"
    assert "damaged or truncated" in error.value.message


def test_not_a_zip_named_zip(write):
    assert refused(write("data.zip", "a,b\n1,2\n"), "data.zip").code == "corrupt"
