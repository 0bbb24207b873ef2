"""Format detection: extension checked against magic bytes, and .gz/.zip wrappers."""

import gzip
import io
import zipfile

import pytest

from datasets.ingest import FORMATS, IngestError, detect_format, inspect_file, read_table


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        ("data.csv", b"a,b\n1,2\n", "csv"),
        ("DATA.CSV", b"a,b\n1,2\n", "csv"),
        ("notes.txt", b"a;b\n1;2\n", "csv"),
        ("data.tsv", b"a\tb\n", "tsv"),
        ("book.xlsx", b"PK\x03\x04rest", "xlsx"),
        ("table.parquet", b"PAR1....", "parquet"),
        ("table.pq", b"PAR1....", "parquet"),
        ("records.json", b'[{"a": 1}]', "json"),
        ("records.jsonl", b'{"a": 1}\n', "jsonl"),
        ("records.ndjson", b'{"a": 1}\n', "jsonl"),
        ("data.csv.gz", gzip.compress(b"a,b\n", mtime=0), "csv"),
        ("data.json.gz", gzip.compress(b"[]", mtime=0), "json"),
    ],
)
def test_detect_format_by_extension_and_magic(filename, head, expected):
    assert detect_format(filename, head) == expected
    assert expected in FORMATS


def test_zip_wrapper_reports_the_member_format():
    assert detect_format("upload.zip", zip_bytes({"inner/data.tsv": b"a\tb\n1\t2\n"})) == "tsv"


@pytest.mark.parametrize("filename", ["virus.exe", "letter.docx", "noextension", "old.xls", "table.ods"])
def test_unknown_extension_names_the_supported_formats(filename):
    with pytest.raises(IngestError) as error:
        detect_format(filename, b"anything")
    assert error.value.code == "unknown_format"
    assert "CSV" in error.value.message and "Parquet" in error.value.message


def test_old_xls_gets_a_save_as_hint():
    with pytest.raises(IngestError, match=r"\.xlsx or CSV"):
        detect_format("report.xls", b"\xd0\xcf\x11\xe0junk")


def test_xls_content_renamed_to_xlsx_gets_the_same_hint():
    with pytest.raises(IngestError, match=r"Old Excel") as error:
        detect_format("report.xlsx", b"\xd0\xcf\x11\xe0junk")
    assert error.value.code == "unknown_format"


@pytest.mark.parametrize(
    ("filename", "head"),
    [("table.parquet", b"a,b\n1,2\n"), ("book.xlsx", b"a,b\n1,2\n"), ("upload.zip", b"a,b\n")],
)
def test_content_that_does_not_match_the_extension_is_refused(filename, head):
    with pytest.raises(IngestError) as error:
        detect_format(filename, head)
    assert error.value.code == "corrupt"


@pytest.mark.parametrize(
    ("head", "looks_like"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "Windows program"),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_binary_content_named_csv_is_refused(head, looks_like):
    with pytest.raises(IngestError) as error:
        detect_format("data.csv", head)
    assert error.value.code == "binary"
    assert looks_like in error.value.message


def test_control_bytes_without_nul_are_binary():
    head = bytes(b % 32 for b in range(4000) if b % 32 not in (9, 10, 13, 0))
    with pytest.raises(IngestError, match="binary data"):
        detect_format("data.csv", head)


def test_utf16_text_with_bom_is_not_mistaken_for_binary():
    assert detect_format("export.txt", "a\tb\n1\t2\n".encode("utf-16")) == "csv"


def test_gzip_content_under_a_plain_name_is_read_as_gzip(write):
    path = write("data.csv", gzip.compress(b"a,b\n1,2\n3,4\n"))
    table, detected, _ = read_table(path, "data.csv")
    assert detected["compression"] == "gzip"
    assert table.to_pydict() == {"a": [1, 3], "b": [2, 4]}


def test_single_file_zip_is_read_and_its_temp_copy_removed(write, tmp_path):
    path = write("upload.zip", zip_bytes({"__MACOSX/._data.csv": b"junk", "data.csv": b"x,y\n1,a\n2,b\n"}))
    before = set(tmp_path.iterdir())
    table, detected, _ = read_table(path, "upload.zip")
    assert detected["compression"] == "zip" and detected["member"] == "data.csv"
    assert table.to_pydict() == {"x": [1, 2], "y": ["a", "b"]}
    assert set(tmp_path.iterdir()) == before
    assert inspect_file(path, "upload.zip")["columns"] == ["x", "y"]


def test_zip_holding_several_files_is_refused(write):
    path = write("upload.zip", zip_bytes({"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"}))
    with pytest.raises(IngestError) as error:
        inspect_file(path, "upload.zip")
    assert error.value.code == "zip_many"
    assert "2 files" in error.value.message and "a.csv" in error.value.message


def test_zip_holding_no_file_is_refused(write):
    path = write("upload.zip", zip_bytes({"folder/": b""}))
    with pytest.raises(IngestError) as error:
        read_table(path, "upload.zip")
    assert error.value.code == "zip_empty"


def test_zip_member_with_unknown_extension_is_refused(write):
    path = write("upload.zip", zip_bytes({"setup.exe": b"MZ\x00\x00"}))
    with pytest.raises(IngestError) as error:
        inspect_file(path, "upload.zip")
    assert error.value.code == "unknown_format"
