"""Reading every supported format, with the detection a user expects from a spreadsheet export."""

import datetime as dt
import gzip
import io
import json
import zipfile

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.ingest import IngestError, inspect_file, read_table

# --- delimited text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        ("name,price\nx,1.5\ny,2\n", ","),
        ("name;price\nx;1.5\ny;2\n", ";"),
        ("name\tprice\nx\t1.5\ny\t2\n", "\t"),
        ("name|price\nx|1.5\ny|2\n", "|"),
    ],
)
def test_delimiter_is_sniffed(write, content, delimiter):
    path = write("data.csv", content)
    assert inspect_file(path, "data.csv")["delimiter"] == delimiter
    table, detected, warnings = read_table(path, "data.csv")
    assert detected["delimiter"] == delimiter and warnings == []
    assert table.to_pydict() == {"name": ["x", "y"], "price": [1.5, 2.0]}


def test_semicolon_with_decimal_comma_gives_numbers(write):
    path = write("eu.csv", "product;price;qty\nA;1,5;3\nB;12,25;4\nC;0,75;5\n")
    table, detected, _ = read_table(path, "eu.csv")
    assert (detected["delimiter"], detected["decimal"]) == (";", ",")
    assert table.column("price").type == pa.float64()
    assert table.column("price").to_pylist() == [1.5, 12.25, 0.75]


def test_tsv_extension_defaults_to_tab(write):
    path = write("data.tsv", "a b\tc\n1 2\t3\n")
    table, detected, _ = read_table(path, "data.tsv")
    assert detected["format"] == "tsv" and detected["delimiter"] == "\t"
    assert table.column_names == ["a b", "c"]


def test_utf8_bom_is_stripped(write):
    path = write("bom.csv", "\ufeffid,name\n1,Zoë\n")
    table, detected, warnings = read_table(path, "bom.csv")
    assert table.column_names == ["id", "name"]
    assert table.column("name").to_pylist() == ["Zoë"]
    assert detected["encoding"] == "utf-8" and warnings == []


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1252", "name;city;price\nJosé;Köln;3 €\nRené;Straße;4 €\n"),
        ("latin-1", "name,city,note\nJosé,Köln,£5\nRené,Straße,Nuñez\n"),
    ],
)
def test_legacy_encodings_are_decoded_with_a_warning(write, encoding, text):
    path = write("legacy.csv", text, encoding=encoding)
    table, detected, warnings = read_table(path, "legacy.csv")
    assert detected["encoding"] in ("cp1252", "latin-1")
    rows = table.to_pylist()
    assert rows[0]["name"] == "José" and rows[1]["city"] == "Straße"
    if encoding == "cp1252":
        assert rows[0]["price"] == "3 €"
    assert [w["code"] for w in warnings] == ["encoding"]
    assert "not UTF-8" in warnings[0]["message"]


def test_encoding_option_overrides_detection_without_warning(write):
    path = write("legacy.csv", "a\nÀ\n", encoding="latin-1")
    table, detected, warnings = read_table(path, "legacy.csv", {"encoding": "latin-1", "header": True})
    assert table.column("a").to_pylist() == ["À"] and warnings == []
    assert detected["encoding"] == "latin-1"


def test_non_utf8_bytes_after_the_sample_fall_back_to_cp1252(write):
    rows = "".join(f"{i},plain\n" for i in range(400_000))  # ~5 MB of ASCII, beyond the sample
    path = write("late.csv", ("id,word\n" + rows + "400000,café\n").encode("cp1252"))
    assert inspect_file(path, "late.csv")["encoding"] == "utf-8"
    table, detected, warnings = read_table(path, "late.csv")
    assert detected["encoding"] == "cp1252"
    assert table.column("word")[-1].as_py() == "café"
    assert warnings[0]["code"] == "encoding"


def test_utf16_export_is_read(write):
    path = write("unicode.txt", "name\tcount\nÅsa\t3\n".encode("utf-16"))
    table, detected, _ = read_table(path, "unicode.txt")
    assert detected["encoding"] == "utf-16" and detected["delimiter"] == "\t"
    assert table.to_pydict() == {"name": ["Åsa"], "count": [3]}


def test_first_row_of_data_gets_generated_names(write):
    path = write("raw.csv", "1,2.5,2021-01-01\n2,3.5,2021-01-02\n3,4.5,2021-01-03\n")
    assert inspect_file(path, "raw.csv")["header"] is False
    table, detected, warnings = read_table(path, "raw.csv")
    assert table.column_names == ["column_1", "column_2", "column_3"]
    assert table.num_rows == 3
    assert warnings[0]["code"] == "no_header"


def test_header_with_year_names_is_still_a_header(write):
    path = write("years.csv", "country,2019,2020\nFR,1,2\nDE,3,4\n")
    table, detected, _ = read_table(path, "years.csv")
    assert detected["header"] is True and table.column_names == ["country", "2019", "2020"]


def test_header_option_overrides_sniffing(write):
    path = write("raw.csv", "a,b\nc,d\n")
    table, detected, _ = read_table(path, "raw.csv", {"header": False})
    assert detected["header"] is False and table.num_rows == 2
    assert table.column_names == ["column_1", "column_2"]


def test_delimiter_option_overrides_sniffing(write):
    path = write("odd.csv", "a,b;c\n1,2;3\n")
    table, _, _ = read_table(path, "odd.csv", {"delimiter": ";"})
    assert table.column_names == ["a,b", "c"]


def test_duplicate_and_empty_names_are_renamed_with_warnings(write):
    path = write("dups.csv", "name,name,,name_2,name\n1,2,3,4,5\n")
    table, _, warnings = read_table(path, "dups.csv")
    assert table.column_names == ["name", "name_3", "column_3", "name_2", "name_4"]
    codes = sorted((w["code"], w["column"]) for w in warnings)
    assert codes == [
        ("duplicate_column", "name_3"),
        ("duplicate_column", "name_4"),
        ("unnamed_column", "column_3"),
    ]


def test_quoted_delimiters_and_newlines_stay_in_values(write):
    path = write("quoted.csv", 'id,comment\n1,"hello, world"\n2,"two\nlines"\n3,"say ""hi"""\n')
    table, _, _ = read_table(path, "quoted.csv")
    assert table.column("comment").to_pylist() == ["hello, world", "two\nlines", 'say "hi"']


def test_empty_strings_and_na_markers_are_missing(write):
    path = write("gaps.csv", "a,b\nx,1\n,NA\nz,\n")
    table, _, _ = read_table(path, "gaps.csv")
    assert table.to_pydict() == {"a": ["x", None, "z"], "b": [1, None, None]}


def test_excel_sep_line_is_honoured(write):
    path = write("excel.csv", "sep=;\na;b\n1;2\n")
    table, detected, _ = read_table(path, "excel.csv")
    assert detected["delimiter"] == ";" and table.to_pydict() == {"a": [1], "b": [2]}


def test_old_mac_line_endings(write):
    path = write("mac.csv", "a,b\r1,x\r2,y\r")
    assert read_table(path, "mac.csv")[0].to_pydict() == {"a": [1, 2], "b": ["x", "y"]}


def test_single_row_of_numbers_is_data(write):
    table, detected, _ = read_table(write("one.csv", "1,2,3\n"), "one.csv")
    assert detected["header"] is False and table.num_rows == 1


def test_explicit_utf8_with_bad_bytes_replaces_them(write):
    path = write("mostly.csv", "id,word\n" + "".join(f"{i},ok\n" for i in range(400_000)) + "9,caf\xe9\n", "latin-1")
    table, detected, warnings = read_table(path, "mostly.csv", {"encoding": "utf-8"})
    assert table.column("word")[-1].as_py() == "caf\ufffd"
    assert warnings[0]["code"] == "encoding" and "replaced" in warnings[0]["message"]


def test_gzip_csv(write):
    path = write("data.csv.gz", gzip.compress(b"a;b\n1,5;x\n2,5;y\n"))
    table, detected, _ = read_table(path, "data.csv.gz")
    assert detected["compression"] == "gzip"
    assert table.to_pydict() == {"a": [1.5, 2.5], "b": ["x", "y"]}


def test_five_thousand_columns_read_fine(write):
    header = ",".join(f"c{i}" for i in range(5000))
    rows = "\n".join(",".join(str(r * i) for i in range(5000)) for r in range(3))
    path = write("wide.csv", f"{header}\n{rows}\n")
    assert len(inspect_file(path, "wide.csv")["columns"]) == 5000
    table, _, _ = read_table(path, "wide.csv")
    assert table.num_columns == 5000 and table.num_rows == 3
    assert table.column("c4999").to_pylist() == [0, 4999, 9998]


def test_column_with_late_text_stays_readable(write):
    rows = "".join(f"{i},{i}\n" for i in range(300_000)) + "300000,n/a?\n"
    table, _, _ = read_table(write("late_text.csv", "id,value\n" + rows), "late_text.csv")
    assert table.num_rows == 300_001
    assert table.column("value")[-1].as_py() == "n/a?"


def test_inspect_returns_the_options_read_table_uses(write):
    path = write("data.csv", "a;b\n1,5;x\n")
    detected = inspect_file(path, "data.csv")
    assert detected == {
        "format": "csv",
        "compression": None,
        "member": None,
        "encoding": "utf-8",
        "delimiter": ";",
        "decimal": ",",
        "header": True,
        "columns": ["a", "b"],
    }
    assert read_table(path, "data.csv", detected)[1] == detected


# --- Excel -------------------------------------------------------------------------------


def make_workbook(path: str) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["when", "note"])
    notes.append(["2024-01-01", "opened the shop"])
    sales = book.create_sheet("Sales")
    sales.append(["day", "product", "amount", "paid"])
    sales.append([dt.datetime(2024, 1, 2), "tea", 3.5, True])
    sales.append([dt.datetime(2024, 1, 3), "coffee", 4, False])
    sales.append([None, None, None, None])
    sales.append([dt.datetime(2024, 1, 4), "tea", 2, True])
    book.save(path)


def test_xlsx_lists_sheets_and_reads_the_chosen_one(tmp_path):
    path = str(tmp_path / "shop.xlsx")
    make_workbook(path)
    detected = inspect_file(path, "shop.xlsx")
    assert detected["sheets"] == ["Notes", "Sales"] and detected["sheet"] == "Notes"
    table, detected, _ = read_table(path, "shop.xlsx", {"sheet": "Sales"})
    assert detected["sheet"] == "Sales" and detected["header"] is True
    assert table.column_names == ["day", "product", "amount", "paid"]
    assert table.num_rows == 3  # the blank row is skipped
    assert table.column("amount").to_pylist() == [3.5, 4.0, 2.0]
    assert table.column("paid").type == pa.bool_()
    assert pa.types.is_timestamp(table.column("day").type)


def test_xlsx_default_sheet_skips_a_cover_sheet(tmp_path):
    path = str(tmp_path / "report.xlsx")
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["Quarterly report"])
    data = book.create_sheet("Data")
    data.append(["region", "sales"])
    data.append(["north", 10])
    book.save(path)
    detected = inspect_file(path, "report.xlsx")
    assert (detected["sheet"], detected["sheets"]) == ("Data", ["Cover", "Data"])
    with pytest.raises(IngestError, match="Cover, Data") as error:
        read_table(path, "report.xlsx", {"sheet": "Cover"})
    assert error.value.code == "no_rows"


def test_xlsx_header_sniffing_on_a_headerless_sheet(tmp_path):
    path = str(tmp_path / "raw.xlsx")
    book = openpyxl.Workbook()
    for row in ([1, 2.5], [2, 3.5], [3, 4.5]):
        book.active.append(row)
    book.save(path)
    table, detected, warnings = read_table(path, "raw.xlsx")
    assert detected["header"] is False and table.column_names == ["column_1", "column_2"]
    assert table.num_rows == 3 and warnings[0]["code"] == "no_header"


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path):
    path = str(tmp_path / "shop.xlsx")
    make_workbook(path)
    with pytest.raises(IngestError, match="Notes, Sales") as error:
        inspect_file(path, "shop.xlsx", {"sheet": "Missing"})
    assert error.value.code == "bad_option"


def test_xlsx_mixed_column_becomes_text(tmp_path):
    path = str(tmp_path / "mixed.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["code", "n"])
    book.active.append(["A1", 1])
    book.active.append([2, 2])
    book.save(path)
    table, _, _ = read_table(path, "mixed.xlsx")
    assert table.column("code").to_pylist() == ["A1", "2"]
    assert table.column("n").type == pa.int64()


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_round_trip(tmp_path):
    original = pa.table(
        {
            "id": pa.array([1, 2, 3]),
            "score": pa.array([0.5, None, 1.5]),
            "city": pa.array(["a", "b", "a"]).dictionary_encode(),
            "when": pa.array([dt.datetime(2024, 1, d) for d in (1, 2, 3)]),
        }
    )
    path = str(tmp_path / "t.parquet")
    pq.write_table(original, path)
    assert inspect_file(path, "t.parquet")["columns"] == ["id", "score", "city", "when"]
    table, detected, warnings = read_table(path, "t.parquet")
    assert detected["format"] == "parquet" and warnings == []
    assert table.to_pylist() == original.to_pylist()


def test_parquet_inside_a_zip(tmp_path, write):
    source = tmp_path / "inner.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.write(source, "export/inner.parquet")
    source.unlink()
    path = write("export.zip", buffer.getvalue())
    table, detected, _ = read_table(path, "export.zip")
    assert (detected["format"], detected["member"]) == ("parquet", "export/inner.parquet")
    assert table.to_pydict() == {"a": [1, 2]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


def test_parquet_structs_are_flattened(tmp_path):
    path = str(tmp_path / "nested.parquet")
    pq.write_table(pa.table({"a": [{"x": 1, "y": "u"}, {"x": 2, "y": "v"}], "tags": [[1, 2], []]}), path)
    table, _, warnings = read_table(path, "nested.parquet")
    assert table.column_names == ["a.x", "a.y", "tags"]
    assert table.column("tags").to_pylist() == ["[1, 2]", "[]"]
    assert {w["code"] for w in warnings} == {"flattened", "stringified"}


# --- JSON --------------------------------------------------------------------------------


def test_json_array_of_records(write):
    records = [{"id": 1, "name": "a", "score": 1}, {"id": 2, "name": "b", "score": 2.5, "extra": True}]
    path = write("records.json", json.dumps(records))
    table, detected, warnings = read_table(path, "records.json")
    assert detected["format"] == "json" and warnings == []
    assert table.column_names == ["id", "name", "score", "extra"]
    assert table.column("score").to_pylist() == [1.0, 2.5]
    assert table.column("extra").to_pylist() == [None, True]


def test_json_object_holding_one_array_of_records(write):
    path = write("api.json", json.dumps({"data": [{"a": 1}, {"a": 2}]}))
    table, _, warnings = read_table(path, "api.json")
    assert table.column("a").to_pylist() == [1, 2]
    assert warnings[0]["code"] == "json_key"


def test_json_lines(write):
    path = write("events.jsonl", '{"user": "u1", "n": 1}\n\n{"user": "u2", "n": 2}\n')
    assert inspect_file(path, "events.jsonl")["columns"] == ["user", "n"]
    table, detected, _ = read_table(path, "events.jsonl")
    assert detected["format"] == "jsonl"
    assert table.to_pydict() == {"user": ["u1", "u2"], "n": [1, 2]}


def test_json_lines_named_json_are_recognised(write):
    path = write("events.json", '{"a": 1}\n{"a": 2}\n')
    table, detected, _ = read_table(path, "events.json")
    assert detected["format"] == "jsonl" and table.num_rows == 2


def test_json_lines_with_mixed_types_fall_back_to_text(write):
    path = write("mixed.jsonl", '{"a": 1, "b": "x"}\n{"a": "two", "b": "y"}\n')
    table, _, _ = read_table(path, "mixed.jsonl")
    assert table.column("a").to_pylist() == ["1", "two"]


def test_one_level_of_json_nesting_is_flattened_or_kept_as_text(write):
    records = [{"id": 1, "address": {"city": "Paris", "zip": "75001"}, "tags": ["a", "b"]}]
    for name, content in [
        ("nested.json", json.dumps(records)),
        ("nested.jsonl", "\n".join(json.dumps(r) for r in records)),
    ]:
        table, _, warnings = read_table(write(name, content), name)
        assert table.column_names == ["id", "address.city", "address.zip", "tags"], name
        assert table.column("tags").to_pylist() == ['["a", "b"]'], name
        assert {w["code"] for w in warnings} == {"flattened", "stringified"}, name


def test_big_json_array_is_inspected_from_its_head(write):
    records = [{"id": i, "text": "x" * 50} for i in range(60_000)]  # ~4 MB
    path = write("big.json", json.dumps(records))
    assert inspect_file(path, "big.json")["columns"] == ["id", "text"]
    assert read_table(path, "big.json")[0].num_rows == 60_000
