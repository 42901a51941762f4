"""A workspace on a network share (a shared folder, a mapped drive, NFS): SQLite's write-ahead log does not
work across computers, so a new workspace is refused there in Chinese, and one made there by an older
program opens with a word to move it (app/paths.py, network_share)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.errors import UserError
from app.paths import mount_type, network_share, unc_share
from app.workspace import Workspace

from tests.conftest import ADMIN


@pytest.mark.parametrize(
    ("text", "share"),
    [
        (r"\\nas\村务\民情簿", r"\\nas\村务"),
        (r"\\?\UNC\nas\村务\民情簿", r"\\nas\村务"),
        ("//nas/村务/民情簿", r"\\nas\村务"),
        (r"C:\民情簿", None),
        (r"\\?\C:\民情簿", None),
        (r"\\.\pipe\x", None),
    ],
)
def test_a_windows_share_is_told_from_a_local_folder(text, share):
    assert unc_share(text) == share


def test_the_mount_a_folder_is_on_is_the_longest_that_holds_it(tmp_path):
    """From /proc/self/mounts as Linux writes it (a space as \\040): nested mounts, a folder not made yet."""
    t = tmp_path.resolve()
    for folder in ("nas/民情簿", "town/a", "town/local disk/民情簿", "ssh/x", "townhall"):
        (t / folder).mkdir(parents=True)
    mounts = (
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        f"//nas/村务 {t}/nas cifs rw,vers=3.0 0 0\n"
        f"nas:/export {t}/town nfs4 rw,relatime 0 0\n"
        f"/dev/sdb1 {t}/town/local\\040disk ext4 rw 0 0\n"
        f"user@host:/home {t}/ssh fuse.sshfs rw 0 0\n"
    )
    assert mount_type(t / "nas/民情簿", mounts) == "cifs"
    assert mount_type(t / "town/a", mounts) == "nfs4"
    assert mount_type(t / "town/local disk/民情簿", mounts) == "ext4"
    assert mount_type(t / "townhall", mounts) == "ext4"  # not under …/town: a name is not a folder
    assert mount_type(t / "nas/民情簿/新建/还没有", mounts) == "cifs"  # by the folder it would be made in
    assert mount_type(t / "ssh/x", mounts) == "fuse.sshfs"


def test_this_computers_own_folders_are_not_a_network_share(tmp_path):
    assert network_share(tmp_path) is None
    assert network_share(tmp_path / "还没有" / "民情簿") is None


def test_a_new_workspace_on_a_network_share_is_refused_and_nothing_is_made(tmp_path, monkeypatch):
    from app import workspace

    monkeypatch.setattr(workspace, "network_share", lambda _root: "网络文件系统（nfs4）")
    root = tmp_path / "民情簿"
    with pytest.raises(UserError) as caught:
        Workspace.open(root)
    assert (
        "不能在网络文件系统（nfs4）上建立工作目录" in caught.value.message and "本机" in caught.value.message
    )
    assert not root.exists()


def test_a_workspace_already_on_a_network_share_opens_and_says_to_move_it(village_ws, monkeypatch):
    from app import workspace

    root = village_ws.root
    village_ws.close()
    monkeypatch.setattr(workspace, "network_share", lambda _root: r"网络共享文件夹（\\nas\村务）")
    ws = Workspace.open(root, create=False, credentials=ADMIN)
    try:
        note = ws.on_network_note()
        assert note is not None and r"\\nas\村务" in note and "复制到本机硬盘" in note
    finally:
        ws.close()


def test_the_command_line_says_nothing_of_a_local_workspace(village_ws):
    root = village_ws.root
    village_ws.close()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "stats",
            "--data-dir",
            str(root),
            "--user",
            ADMIN[0],
            "--password-env",
            "PW",
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PW": ADMIN[1]},
    )
    assert r.returncode == 0, r.stderr
    assert "网络" not in r.stderr
