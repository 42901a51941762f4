"""Where a workspace lives: ``--data-dir`` beats ``MINQING_DATA_DIR`` beats the platform's data dir."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

ENV_VAR = "MINQING_DATA_DIR"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("minqing", appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


def resources_dir() -> Path:
    """The ``resources/`` folder, from source or from a frozen build."""
    import sys

    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources"


CJK_FAMILY = "NotoSerifSC"  # the name every PDF gives the bundled font (app/pdf_fonts.py)


def cjk_font_path() -> Path:
    """The bundled serif CJK font (Noto Serif SC, OFL) used for PDFs and as the UI fallback."""
    return resources_dir() / "fonts" / "NotoSerifSC-Regular.otf"


def icon_path() -> Path:
    """The program's icon (a red seal with 民; tools/make_icon.py): the windows' title bars and task bar."""
    return resources_dir() / "icon" / "minqing.png"


def cjk_common_font_path() -> Path:
    """The bundled font's common characters alone (GB 2312 level 1, family "Noto Serif CJK SC Common"):
    the window draws with it first and falls back to :func:`cjk_font_path` (tools/make_font.py)."""
    return resources_dir() / "fonts" / "NotoSerifSC-Common.otf"


# -- a workspace on a network share ------------------------------------------------------------------------
# File systems reached over the network (Linux's names in /proc/self/mounts). SQLite's write-ahead log,
# which every workspace uses, keeps its shared memory beside the database and needs every program that
# opens it to be on the same computer; over a network its locks are not kept either: two computers opening
# the same workspace on a shared folder would damage it, and a dropped connection stops every save.
NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs", "lustre", "davfs"}
)
_DRIVE_REMOTE = 4  # GetDriveTypeW: a mapped network drive


def network_share(path: Path) -> str | None:
    """What network place ``path`` is on, in Chinese ("网络共享文件夹（\\\\server\\share）", "网络驱动器（Z:）",
    "网络文件系统（nfs4）"), or None when it is on this computer (or it cannot be told)."""
    text = str(path)
    if os.name == "nt":
        unc = unc_share(text)
        if unc is not None:
            return f"网络共享文件夹（{unc}）"
        drive = os.path.splitdrive(os.path.abspath(text))[0]
        try:
            import ctypes

            remote = bool(drive) and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == _DRIVE_REMOTE  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return None
        return f"网络驱动器（{drive}）" if remote else None
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # (not Linux: macOS and others are not told)
    fstype = mount_type(path, mounts)
    if fstype is None:
        return None
    base = fstype.removeprefix("fuse.")
    if fstype in NETWORK_FILE_SYSTEMS or base in NETWORK_FILE_SYSTEMS or base == "sshfs":
        return f"网络文件系统（{fstype}）"
    return None


def unc_share(text: str) -> str | None:
    r"""``\\server\share`` of a Windows path on a network share (``\\server\share\…`` or
    ``\\?\UNC\server\share\…``, slashes either way); None for a local path (``C:\…``, ``\\?\C:\…``)."""
    t = text.replace("/", "\\")
    if t.upper().startswith("\\\\?\\UNC\\"):
        t = "\\\\" + t[8:]
    elif t.startswith(("\\\\?\\", "\\\\.\\")) or not t.startswith("\\\\"):
        return None
    parts = [p for p in t[2:].split("\\") if p]
    return "\\\\" + "\\".join(parts[:2]) if parts else None


def mount_type(path: Path, mounts: str) -> str | None:
    """The file system type of the mount ``path`` is under, from the text of ``/proc/self/mounts`` (the
    longest mount point that holds it; a name's space is written ``\\040`` there). A path not made yet
    is looked up by the folder it would be made in."""
    target = Path(os.path.abspath(path))
    while not target.exists() and target.parent != target:
        target = target.parent
    target = Path(os.path.realpath(target))
    best, best_len = None, -1
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])
        inside = str(target) == point or str(target).startswith(point.rstrip("/") + "/")
        if inside and len(point) > best_len:
            best, best_len = fields[2], len(point)
    return best
