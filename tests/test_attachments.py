import pytest

from app import attachments
from app.errors import UserError


def test_attach_stores_content_once_and_lists_it(village_ws, tmp_path):
    photo = tmp_path / "走访照片.jpg"
    photo.write_bytes(b"\xff\xd8fake-jpeg" * 10_000)  # 110 KB: a file
    sign = tmp_path / "签字.png"
    sign.write_bytes(b"\x89PNG-fake" * 300)  # 3 KB: a row of the database
    with village_ws.work(None) as w:
        a = attachments.attach_file(w, "household", "h-1", photo)
        b = attachments.attach_file(w, "household", "h-1", photo, note="again")
        c = attachments.attach_file(w, "household", "h-1", sign)
    assert a.sha256 == b.sha256 and a.id != b.id
    on_disk = attachments.blob_path(village_ws.attachments_dir, a.sha256).read_bytes()
    assert on_disk != photo.read_bytes() and b"fake-jpeg" not in on_disk  # sealed with the workspace key
    with village_ws.engine.connect() as conn:
        assert attachments.load_blob(conn, village_ws.attachments_dir, a.sha256) == photo.read_bytes()
    assert not attachments.blob_path(village_ws.attachments_dir, c.sha256).exists()
    with village_ws.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT sha256 FROM attachment_content").scalars().all() == [c.sha256]
    with village_ws.work(None) as w:
        listed = attachments.list_attachments(w, "household", "h-1")
        assert [x.filename for x in listed] == ["走访照片.jpg", "走访照片.jpg", "签字.png"]
        assert attachments.read_attachment(w, listed[0]) == photo.read_bytes()
        assert attachments.read_attachment(w, listed[2]) == sign.read_bytes()
        attachments.remove_attachment(w, a.id)
    with village_ws.work(None) as w:
        assert [x.id for x in attachments.list_attachments(w, "household", "h-1")] == [b.id, c.id]


def test_a_small_attachment_rolled_back_with_its_record_leaves_nothing(village_ws, tmp_path):
    sign = tmp_path / "签字.png"
    sign.write_bytes(b"\x89PNG-fake" * 30)
    with pytest.raises(RuntimeError), village_ws.work(None) as w:
        attachments.attach_file(w, "household", "h-1", sign)
        raise RuntimeError("power cut")
    with village_ws.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM attachment_content").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM attachment").scalar() == 0


def test_content_stored_as_a_file_by_an_older_version_is_still_read(village_ws):
    import hashlib

    data = b"\x89PNG-old-signature" * 20
    sha = hashlib.sha256(data).hexdigest()
    path = attachments.blob_path(village_ws.attachments_dir, sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    with village_ws.engine.connect() as conn:
        assert attachments.load_blob(conn, village_ws.attachments_dir, sha) == data
        assert attachments.load_blob(conn, village_ws.attachments_dir, "0" * 64) is None


def test_oversized_file_is_refused_and_nothing_is_stored(village_ws, tmp_path):
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UserError, match="上限"), village_ws.work(None) as w:
        attachments.attach_file(w, "household", "h-1", big, max_size=1024)
    assert not any(p.is_file() for p in village_ws.attachments_dir.rglob("*"))


def test_many_at_once_are_stored_once_each_and_a_file_cut_short_is_written_again(village_ws):
    import hashlib

    root = village_ws.attachments_dir
    small = [bytes([n]) * (100 + n) for n in range(20)]
    large = [bytes([n]) * (attachments.SMALL + 1 + n) for n in range(10)]
    items = [(hashlib.sha256(b).hexdigest(), b) for b in small + large]
    with village_ws.engine.begin() as conn:
        assert attachments.store_blobs(conn, root, items + items[:5] + items[-3:]) == 30  # twice: stored once
    with village_ws.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM attachment_content").scalar() == 20
        for sha, data in items:
            assert attachments.load_blob(conn, root, sha) == data
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == sorted(sha for sha, _ in items[20:])
    assert not list(root.rglob(".tmp-*"))  # no temporary file left behind
    with village_ws.engine.begin() as conn:
        assert attachments.store_blobs(conn, root, items) == 0  # already there
        # a crash left one file short: it is written again, by either way of storing
        sha, data = items[27]
        attachments.blob_path(root, sha).write_bytes(data[:10])
        assert attachments.store_blobs(conn, root, items) == 1
        assert attachments.load_blob(conn, root, sha) == data
        attachments.blob_path(root, sha).write_bytes(b"")
        assert (
            attachments.store_blob(conn, root, data) == sha and attachments.load_blob(conn, root, sha) == data
        )


def test_many_at_once_with_one_name_not_a_hash_stores_none_of_them(village_ws):
    """A forged bundle's attachment named ``./../keys/sign.key``: refused before a byte is written, small
    content and large alike."""
    import hashlib

    root = village_ws.attachments_dir
    good = [bytes([n]) * (attachments.SMALL + 1 + n) for n in range(3)] + [b"small"]
    items = [(hashlib.sha256(b).hexdigest(), b) for b in good]
    for bad in ("./../keys/sign.key", "A" * 64, "a" * 63, "a" * 64 + "/x", None):
        for data in (b"small", b"x" * (attachments.SMALL + 1)):
            with pytest.raises(ValueError), village_ws.engine.begin() as conn:
                attachments.store_blobs(conn, root, [*items, (bad, data)])  # type: ignore[list-item]
    with village_ws.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM attachment_content").scalar() == 0
    assert not any(p.is_file() for p in root.rglob("*"))
