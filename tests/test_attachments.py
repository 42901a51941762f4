import pytest

from app import attachments
from app.errors import UserError


def test_attach_stores_content_once_and_lists_it(village_ws, tmp_path):
    photo = tmp_path / "走访照片.jpg"
    photo.write_bytes(b"\xff\xd8fake-jpeg" * 100)
    with village_ws.session() as s:
        a = attachments.attach_file(s, village_ws.attachments_dir, "household", "h-1", photo)
        b = attachments.attach_file(s, village_ws.attachments_dir, "household", "h-1", photo, note="again")
    assert a.sha256 == b.sha256 and a.id != b.id
    assert attachments.blob_path(village_ws.attachments_dir, a.sha256).read_bytes() == photo.read_bytes()
    with village_ws.session() as s:
        listed = attachments.list_attachments(s, "household", "h-1")
        assert [x.filename for x in listed] == ["走访照片.jpg", "走访照片.jpg"]
        attachments.remove_attachment(s, a.id)
    with village_ws.session() as s:
        assert [x.id for x in attachments.list_attachments(s, "household", "h-1")] == [b.id]


def test_oversized_file_is_refused_and_nothing_is_stored(village_ws, tmp_path):
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UserError, match="上限"), village_ws.session() as s:
        attachments.attach_file(s, village_ws.attachments_dir, "household", "h-1", big, max_size=1024)
    assert not any(p.is_file() for p in village_ws.attachments_dir.rglob("*"))


def test_many_files_at_once_are_stored_once_each_and_a_file_cut_short_is_written_again(tmp_path):
    import hashlib

    root = tmp_path / "attachments"
    blobs = [bytes([n]) * (100 + n) for n in range(30)]
    items = [(hashlib.sha256(b).hexdigest(), b) for b in blobs]
    assert attachments.store_blobs(root, items + items[:5]) == 30  # the same content twice: one file
    for sha, data in items:
        assert attachments.blob_path(root, sha).read_bytes() == data
    assert not list(root.rglob(".tmp-*"))  # no temporary file left behind
    assert attachments.store_blobs(root, items) == 0  # already there
    # a crash left one file short: it is written again, by either way of storing
    sha, data = items[7]
    attachments.blob_path(root, sha).write_bytes(data[:10])
    assert attachments.store_blobs(root, items) == 1
    assert attachments.blob_path(root, sha).read_bytes() == data
    attachments.blob_path(root, sha).write_bytes(b"")
    assert attachments.store_blob(root, data) == sha and attachments.blob_path(root, sha).read_bytes() == data
