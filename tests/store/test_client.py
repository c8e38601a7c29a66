"""The bulk body `kg publish` sends to Oxigraph server: the dataset file, then the union, in pieces."""

from kg.store.client import _Body


def test_the_bulk_body_is_the_file_then_the_tail_in_pieces_and_can_be_sent_twice(tmp_path):
    path = tmp_path / "dataset.nq"
    data = bytes(range(256)) * 9000  # 2.2 MiB: three pieces
    path.write_bytes(data)
    tail = b"<urn:a> <urn:b> <urn:c> .\n" * 50_000  # 1.3 MB: two pieces
    body = _Body(path, tail)
    first = list(body)
    assert len(body) == len(data) + len(tail)
    assert b"".join(first) == data + tail
    assert max(len(p) for p in first) <= _Body.PIECE and len(first) == 5
    assert b"".join(body) == data + tail  # again, as digest authentication sends it twice
