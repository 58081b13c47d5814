"""``reader.check_encoding`` (blocks of ASCII bytes passed over without decoding, the lines before a refused
byte counted only once one is found) fails a file exactly as the plain incremental decode of every block
did: the same byte, offset and line named, however the file falls into blocks (property test)."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_adapters.tabular import reader
from platform_adapters.tabular.errors import TabularError
from platform_adapters.tabular.layout import codec_for

PIECES = st.sampled_from([b"a", b",", b"\n", b"\r\n", "é".encode(), "货".encode(), "货".encode("gbk"), b"\xff", b"\xc3",
                          b"\xef\xbb\xbf", b"\x80", "😀".encode(), b"\xff\xfe", b"ab\ncd\n"])


def _reference(path: Path, encoding: str, block_size: int) -> None:
    """``check_encoding`` as first written: every block decoded, its lines counted as it goes."""
    decoder = codecs.getincrementaldecoder(codec_for(encoding))(errors="strict")
    offset = lines_before = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(block_size)
            final = not block
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                held = len(exc.object) - len(block)
                line = lines_before + exc.object[: exc.start].count(b"\n") + 1
                ending = " (the file ends inside a character)" if final else ""
                raise TabularError(f"{path.name}:{line}", f"not valid {encoding} (byte 0x{exc.object[exc.start]:02x} "
                                   f"at offset {offset - held + exc.start}){ending}{reader._encoding_hint(path, encoding)}",
                                   code="wrong_encoding") from None
            if final:
                return
            offset += len(block)
            lines_before += block.count(b"\n")


def _outcome(check, *args) -> tuple | None:
    try:
        check(*args)
    except TabularError as exc:
        return exc.location, exc.reason, exc.code
    except UnicodeError as exc:  # (a UTF-16 file without its byte-order mark: raised as the decoder raises it)
        return type(exc).__name__, str(exc)
    return None


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(PIECES, st.just(b"abc,def\n" * 3)), max_size=30),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
def test_a_refused_byte_is_named_as_the_block_by_block_decode_names_it(tmp_path: Path, monkeypatch, block: int,
                                                                      parts: list[bytes], encoding: str) -> None:
    monkeypatch.setattr(reader, "_ENCODING_CHECK_BLOCK", block)
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(parts))
    assert _outcome(reader.check_encoding, path, encoding) == _outcome(_reference, path, encoding, block)


@pytest.mark.parametrize(("block", "limit"), [(1, 1), (3, 4), (7, 7), (4, 30)])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from([b"a", b",", b"\n", b"\r\n", b'"', b"abcdef", "货".encode()]), max_size=40))
def test_the_files_whose_syntax_may_be_refused_are_found_in_the_same_pass(tmp_path: Path, monkeypatch, block: int,
                                                                        limit: int, parts: list[bytes]) -> None:
    """``check_encoding`` answers True exactly when the file holds a quote byte or a line longer than the csv
    module's field limit (in bytes, its line end left out), however the file falls into blocks."""
    monkeypatch.setattr(reader, "_ENCODING_CHECK_BLOCK", block)
    monkeypatch.setattr(reader, "_CSV_FIELD_LIMIT", limit)
    data = b"".join(parts)
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    expected = b'"' in data or max(map(len, data.split(b"\n"))) > limit
    assert reader.check_encoding(path, "utf-8") is expected
