"""Errors the user can fix. The message is Chinese and says what to do."""

import errno


class UserError(Exception):
    """Raised by services for input or state the user can correct; ``field`` names the field or row."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class EnvironmentFailure(UserError):
    """Not a bug and not the user's input: the computer's environment failed (a database another
    program holds, a full disk or stick, a read-only or unplugged drive, a damaged file). Shown as a
    Chinese message saying what to do; never as the crash dialog."""


FILE_TOO_LARGE = (
    "文件太大，这个磁盘或 U 盘存不下（FAT32 格式的 U 盘，单个文件最大 4 GB）：请换一个 exFAT 或 NTFS 格式的 U 盘，"
    "或换一个位置"
)
IN_USE_OR_DENIED = (
    "无法读写这个文件：它可能正在别的程序里打开（如 PDF 阅读器、Excel），请关闭后再试；"
    "或者没有权限写这个位置，请换一个文件夹"
)
NAME_TOO_LONG = "文件名或路径太长：请换一个短一点的文件名，或存到浅一点的文件夹（如 U 盘的根目录）"
# Windows errors Python gives no errno of their own: ERROR_FILE_TOO_LARGE, ERROR_FILENAME_EXCED_RANGE (a
# path past Windows' 260 characters)
_WINERROR_ADVICE = {
    223: FILE_TOO_LARGE,  # ERROR_FILE_TOO_LARGE
    206: NAME_TOO_LONG,  # ERROR_FILENAME_EXCED_RANGE
    # Windows says these with errno EINVAL or EIO, which Linux never gives for them
    123: '文件名里有 Windows 不允许的字符（\\ / : * ? " < > |）：请改一个文件名',  # ERROR_INVALID_NAME
    21: "设备没有准备好（U 盘或读卡器里可能没有插好）：请插好后再试",  # ERROR_NOT_READY
    1117: "读写出错（U 盘可能被拔出或已损坏）：请重新插好 U 盘后再试",  # ERROR_IO_DEVICE
    53: "找不到网络上的这个位置（网络断了，或共享文件夹关了）：请换一个位置",  # ERROR_BAD_NETPATH
    67: "找不到网络上的这个位置（网络断了，或共享文件夹关了）：请换一个位置",  # ERROR_BAD_NET_NAME
}
# errno → what to do (POSIX and Windows both set these through Python's OSError).
_ERRNO_ADVICE = {
    28: "磁盘或 U 盘已满：请腾出空间（或换一个 U 盘）后再试",  # ENOSPC
    122: "磁盘配额已用完：请腾出空间后再试",  # EDQUOT
    # a file over what the drive's format holds: a FAT32 stick takes no file of 4 GB or more (a town's
    # database grows past that)
    27: FILE_TOO_LARGE,  # EFBIG
    # a name typed or a folder chosen by the user (36 on Linux, 63 on macOS, 38 in Windows' C library)
    errno.ENAMETOOLONG: NAME_TOO_LONG,
    30: "这个位置是只读的（U 盘可能有写保护开关，或光盘）：请换一个位置",  # EROFS
    5: "读写出错（U 盘可能被拔出或已损坏）：请重新插好 U 盘后再试",  # EIO
    19: "找不到这个设备（U 盘可能被拔出）：请重新插好后再试",  # ENODEV
    6: "找不到这个设备（U 盘可能被拔出）：请重新插好后再试",  # ENXIO
    # on Windows also a file another program holds open (a PDF in its reader, a workbook in Excel)
    13: IN_USE_OR_DENIED,  # EACCES
    1: IN_USE_OR_DENIED,  # EPERM
}
# errno → what it is, for an OSError that is not one of the above (a file gone, a folder for a file)
_ERRNO_WORDS = {
    2: "文件或文件夹不存在",  # ENOENT
    20: "路径中有一段不是文件夹",  # ENOTDIR
    21: "这是一个文件夹，不是文件",  # EISDIR
    16: "文件正被其他程序使用",  # EBUSY
    17: "文件已存在",  # EEXIST
    24: "打开的文件太多",  # EMFILE
}


def folder_gone(target: object) -> EnvironmentFailure:
    """A file could not be made where the user chose (the folder does not exist, or went away with a
    stick pulled out while it was written)."""
    from pathlib import Path

    folder = Path(str(target)).parent
    return EnvironmentFailure(
        f"无法在 {folder} 里写文件：这个文件夹不存在，或已经不能用了（U 盘可能被拔出）。请插好 U 盘，或换一个位置后再试"
    )


def workspace_unwritable(root: object, exc: OSError) -> EnvironmentFailure | None:
    """The workspace's own folder could not be written (its logs, backups or keys folder made), or its
    database not even read for want of room: on a read-only medium, what to do about the workspace (a
    stick's write-protect switch; a laptop disk that turned read-only is failing: copy the workspace away
    and open it there); on a full one, that nothing is lost and room is needed; another environment
    failure as it is; None for a bug."""
    if exc.errno == errno.ENOSPC:
        return EnvironmentFailure(
            f"工作目录 {root} 所在的磁盘已经满了，民情簿无法打开数据库（磁盘满不会损坏已经保存的内容）。"
            "请删除这个磁盘上不需要的文件，腾出至少 100 MB 空间后再打开"
        )
    if exc.errno == errno.EROFS:
        return read_only_workspace(root)
    return environment_failure(exc)


def read_only_workspace(root: object) -> EnvironmentFailure:
    """The workspace is on a read-only medium: a stick's write-protect switch, or a disk that turned
    read-only after errors (copy the workspace away and open it there)."""
    return EnvironmentFailure(
        f"工作目录 {root} 所在的磁盘现在是只读的，民情簿不能在这里打开它。若它在 U 盘上，请拨开 U 盘的写保护开关后再试；"
        "若电脑硬盘突然变成只读，硬盘可能出了故障：请尽快把整个工作目录（连同其中的 keys 文件夹）复制到 U 盘或另一台电脑，"
        "在那里打开并备份"
    )


def os_error_text(exc: OSError) -> str:
    """An OSError in Chinese (the system's own text may be English): what to do where the program
    knows, else what happened, else the error's number."""
    winerror = getattr(exc, "winerror", None) or 0
    if winerror in _WINERROR_ADVICE:
        return _WINERROR_ADVICE[winerror]
    if exc.errno in _ERRNO_ADVICE:
        return _ERRNO_ADVICE[exc.errno]
    if exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    return f"读写出错（错误代码 {exc.errno}）" if exc.errno is not None else "读写出错"


# SQLite's own messages (sqlite3 / SQLAlchemy OperationalError, DatabaseError) → what to do.
_SQLITE_ADVICE = (
    ("database is locked", "数据库正被另一个程序使用（例如另一个民情簿窗口）：请关闭其他民情簿窗口后再试"),
    ("database is busy", "数据库正被另一个程序使用（例如另一个民情簿窗口）：请关闭其他民情簿窗口后再试"),
    ("database or disk is full", "磁盘已满，数据库无法写入：请腾出磁盘空间后再试，已保存的内容不受影响"),
    ("disk i/o error", "读写数据库时磁盘出错：请检查磁盘或 U 盘后重新打开民情簿"),
    ("readonly database", "数据库所在的位置是只读的：请检查工作目录的权限，或把工作目录放到可写的位置"),
    ("unable to open database file", "打不开数据库文件：请检查工作目录是否存在、是否可写"),
    ("file is not a database", "数据库文件已损坏（不是有效的数据库）：请从备份恢复"),
    ("database disk image is malformed", "数据库文件已损坏：请从备份恢复"),
)


def environment_failure(exc: BaseException) -> EnvironmentFailure | None:
    """The environment failure ``exc`` is (with a Chinese message), or None when it is not one."""
    if isinstance(exc, EnvironmentFailure):
        return exc
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # SQLAlchemy wraps the driver's error
        seen.add(id(current))
        if isinstance(current, OSError):
            advice = _WINERROR_ADVICE.get(getattr(current, "winerror", None) or 0) or _ERRNO_ADVICE.get(
                current.errno or 0
            )
            if advice is not None:
                where = f"（{current.filename}）" if current.filename else ""
                return EnvironmentFailure(advice + where)
        text = str(getattr(current, "orig", None) or current).lower()
        if type(current).__name__ in ("OperationalError", "DatabaseError"):
            for needle, advice in _SQLITE_ADVICE:
                if needle in text:
                    return EnvironmentFailure(advice)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def failure_message(exc: BaseException) -> str | None:
    """What to tell the user about ``exc``: a :class:`UserError`'s message or an environment failure's,
    in Chinese; None for a bug (which goes to the crash dialog)."""
    failure = exc if isinstance(exc, UserError) else environment_failure(exc)
    return failure.message if failure is not None else None
