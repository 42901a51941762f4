"""账号与角色: users, password hashing (argon2), sign-in and what each role may do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.keyslots import KeySlots, Slot, SlotsBusy
from db.models import AuditLog, User

from app import audit
from app.errors import UserError
from app.work import Work
from app.workspace import FREE_TRIES as FREE_TRIES
from app.workspace import LOCK_SECONDS as LOCK_SECONDS
from app.workspace import shared_tries, throttled

ROLES = {
    "admin": "管理员",
    "cadre": "村干部",
    "mediator": "调解员",
    "town_staff": "乡镇工作人员",
}

# What each permission needs (any of the roles).
PERMISSIONS = {
    "manage_users": {"admin"},
    "manage_settings": {"admin"},
    "reveal_resident_id": {"admin", "town_staff"},
    "see_sensitive_tags": {"admin", "town_staff", "cadre"},
    "see_cases": {"admin", "mediator", "town_staff"},
    "edit_households": {"admin", "cadre", "town_staff"},
    "export_full_id": {"admin"},
    "sync": {"admin", "town_staff"},
    "write_diary": {"admin", "cadre"},
    "handle_demands": {"admin", "cadre", "town_staff"},
    "manage_diary_settings": {"admin"},
    "record_aid": {"admin", "cadre"},  # 帮扶记录 and 帮扶对子 (app/aid)
    "manage_reviews": {"admin", "town_staff"},  # 两评: 点评会 minutes and decisions, 群众评议 tallies
    "complete_decisions": {"admin", "cadre"},  # a village's completion note of a 点评会 decision
    "manage_projects": {"admin", "cadre", "town_staff"},  # 为民实事 (docs/projects.md)
}

MIN_PASSWORD_LENGTH = 6

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def can(user: User | None, permission: str) -> bool:
    if user is None:
        return False
    return bool(user.role_set & PERMISSIONS[permission])


def require(user: User | None, permission: str) -> None:
    if not can(user, permission):
        raise UserError("您的账号没有这项权限，请联系管理员")


@dataclass(frozen=True)
class UserInfo:
    id: str
    username: str
    display_name: str
    phone: str | None
    title: str | None
    roles: tuple[str, ...]
    active: bool

    @property
    def role_names(self) -> str:
        return "、".join(ROLES.get(r, r) for r in self.roles)


def info(user: User) -> UserInfo:
    return UserInfo(
        user.id,
        user.username,
        user.display_name,
        user.phone,
        user.title,
        tuple(sorted(user.role_set)),
        user.active,
    )


def _check_roles(roles: Iterable[str]) -> str:
    roles = [r for r in roles if r]
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UserError(f"未知角色：{'、'.join(unknown)}", field="roles")
    if not roles:
        raise UserError("请至少选择一个角色", field="roles")
    return ",".join(sorted(set(roles)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位", field="password")


def add_user(
    work: Work,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    phone: str | None = None,
    title: str | None = None,
) -> User:
    session, actor = work.session, work.actor
    if actor is not None:  # station setup (init) has no actor yet; everyone else must be an admin
        require(actor, "manage_users")
    username = username.strip()
    display_name = display_name.strip()
    if not username:
        raise UserError("请填写登录名", field="username")
    if not display_name:
        raise UserError("请填写姓名", field="display_name")
    _check_password(password)
    village_code = work.unit_code
    exists = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.username == username, User.village_code == village_code)
    )
    if exists:
        raise UserError(f"登录名“{username}”已被使用，请换一个", field="username")
    if phone:
        from app.codes import InvalidPhone, normalize_phone

        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise UserError(str(exc), field="phone") from None
    user = User(
        username=username,
        display_name=display_name,
        phone=phone or None,
        title=title or None,
        roles=_check_roles(roles),
        password_hash=hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", table="user", record_id=user.id, fields=["username", "roles"])
    wrap_key_for(work, user, password)
    remember_sign_in_names(work)
    return user


def local_users(work: Work, *, include_inactive: bool = True) -> list[User]:
    """This station's accounts (its unit's), oldest first."""
    q = select(User).where(User.village_code == work.unit_code, User.deleted_at.is_(None))
    if not include_inactive:
        q = q.where(User.active.is_(True))
    return list(work.session.scalars(q.order_by(User.created_at)))


# Failed sign-ins: after FREE_TRIES in a row for one account, one try every LOCK_SECONDS (defined with
# the unlock, app/workspace.py, which counts them while the database is still shut).


def _recent_signins(session: Session, user: User) -> list[tuple[str, dt.datetime]]:
    """The account's latest sign-in events (action, time), newest first, back to its last success."""
    rows = session.execute(
        select(AuditLog.action, AuditLog.at)
        .where(AuditLog.record_id == user.id, AuditLog.action.in_(("signin", "signin.failed")))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(FREE_TRIES + 1)
    ).all()
    out = []
    for action, at in rows:
        if action == "signin":
            break
        out.append((action, at))
    return out


def _signin_event(
    user: User, action: str, at: dt.datetime, *, signed_in: bool, detail: str | None = None
) -> AuditLog:
    """An audit row of a sign-in attempt on ``user``'s account (never any typed text)."""
    return AuditLog(
        at=at,
        user_id=user.id if signed_in else None,
        username=user.username,
        action=action,
        table_name="user",
        record_id=user.id,
        detail=detail,
    )


def authenticate(
    work: Work,
    username: str,
    password: str,
    *,
    now: dt.datetime | None = None,
    proven_user_id: str | None = None,
) -> User:
    """Check a sign-in. After :data:`FREE_TRIES` wrong passwords in a row, the account takes one try
    every :data:`LOCK_SECONDS` (refused without looking at the password meanwhile); the lock is
    audit-logged. No typed text goes into the audit log: a password typed into the user-name box
    would otherwise be kept there.

    ``proven_user_id``: the account whose key slot this same password has just opened
    (:meth:`app.workspace.Workspace.take_password_proof`, given only when the account has one slot).
    Its slot is rewrapped on every password change (:func:`wrap_key_for`), so the password is not
    checked against its hash a second time; any other account's is."""
    session = work.session
    now = now or utcnow()
    user = session.scalars(
        select(User).where(User.username == username.strip(), User.village_code == work.unit_code)
    ).first()
    if user is None:
        audit.record(session, None, "signin.failed", detail="没有这个登录名")
        session.commit()  # (kept although the caller's unit of work rolls back on the error)
        raise UserError("登录名或密码不对，请重新输入")
    proven = proven_user_id is not None and user.id == proven_user_id
    _try_password(work, user, password, now, proven=proven, wrong="登录名或密码不对，请重新输入")
    if not user.active:
        raise UserError("这个账号已停用，请联系管理员")
    session.add(_signin_event(user, "signin", now, signed_in=True))
    slots = KeySlots.load(work.paths.keys) if work.key is not None else None
    if slots is not None and all(sl.from_hash for sl in slots.account_slots(user.id)):
        wrap_key_for(work, user, password)  # its first sign-in since encryption: a slot of its own
    if slots is not None and slots.names.get(user.id) != user.display_name:
        remember_sign_in_names(work)  # a workspace from before the names were kept, or a renamed user
    return user


def _try_password(
    work: Work,
    user: User,
    password: str,
    now: dt.datetime,
    *,
    proven: bool = False,
    wrong: str,
    field: str | None = None,
) -> None:
    """One try of ``user``'s password (a sign-in, or the 原密码 of a change): after :data:`FREE_TRIES`
    wrong ones in a row, one try every :data:`LOCK_SECONDS`, refused without looking at the password
    meanwhile; a wrong one is audit-logged (the lock too) and kept although the caller rolls back, and
    raises ``wrong``."""
    session = work.session
    failures = _recent_signins(session, user)
    if len(failures) >= FREE_TRIES:
        wait = LOCK_SECONDS - (now - failures[0][1]).total_seconds()
        if wait > 0:
            raise throttled(wait)
    if proven:  # (the key's slot opened with this password just now, counted there)
        return
    aware = now.replace(tzinfo=dt.UTC)
    with shared_tries(work.paths.keys) as shared:  # the tries of every run: one count, not two
        if shared is not None:
            shared.check(user.username, aware)
        if verify_password(user.password_hash, password):
            if shared is not None:
                shared.succeeded(user.username)
            return
        if shared is not None:
            shared.failed(user.username, aware, logged=True)
    session.add(_signin_event(user, "signin.failed", now, signed_in=False))
    if len(failures) + 1 == FREE_TRIES:
        detail = f"连续 {FREE_TRIES} 次密码错误，此后每 {LOCK_SECONDS} 秒只能试一次"
        session.add(_signin_event(user, "signin.locked", now, signed_in=False, detail=detail))
    session.commit()
    raise UserError(wrong, field=field)


def reset_password(work: Work, user_id: str, new_password: str) -> None:
    session, actor = work.session, work.actor
    require(actor, "manage_users")
    _check_password(new_password)
    user = session.get(User, user_id)
    if user is None:
        raise UserError("找不到这个账号")
    user.password_hash = hash_password(new_password)
    audit.record(
        session, actor, "user.reset_password", table="user", record_id=user.id, fields=["password_hash"]
    )
    if user.active:  # a stopped account opens nothing: its slot comes back when it is started again
        wrap_key_for(work, user, new_password)


def set_active(work: Work, user_id: str, active: bool) -> None:
    """Deactivate (never delete) a user: their records keep their author."""
    session, actor = work.session, work.actor
    require(actor, "manage_users")
    user = session.get(User, user_id)
    if user is None:
        raise UserError("找不到这个账号")
    if actor is not None and user.id == actor.id and not active:
        raise UserError("不能停用自己正在使用的账号")
    if not active and "admin" in user.role_set:
        _require_another_admin(work, user)
    user.active = active
    audit.record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        table="user",
        record_id=user.id,
        fields=["active"],
    )
    if active and user.password_hash:
        _update_slots(
            work,
            lambda slots, key: slots.set_account_from_hash(
                key, user.id, user.username, user.password_hash or ""
            ),
        )
    elif not active:  # a stopped account no longer opens the database (once the stop is committed)
        work.after_commit(lambda: _update_slots(work, lambda slots, _key: slots.remove_account(user.id)))
    remember_sign_in_names(work)


def _require_another_admin(work: Work, user: User) -> None:
    """``user`` may stop being an administrator (stopped, or the role taken off) only while another
    active one remains: with none, nobody could manage accounts or restore a backup, and the recovery
    code resets only an administrator's password."""
    others = [
        u for u in local_users(work, include_inactive=False) if "admin" in u.role_set and u.id != user.id
    ]
    if not others:
        raise UserError("至少要保留一个启用的管理员账号：请先把另一个账号设为管理员", field="roles")


def update_user(
    work: Work,
    user_id: str,
    *,
    display_name: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    roles: Iterable[str] | None = None,
) -> User:
    session, actor = work.session, work.actor
    require(actor, "manage_users")
    user = session.get(User, user_id)
    if user is None:
        raise UserError("找不到这个账号")
    changed = []
    if display_name is not None and display_name.strip() != user.display_name:
        if not display_name.strip():
            raise UserError("请填写姓名", field="display_name")
        user.display_name = display_name.strip()
        changed.append("display_name")
    if phone is not None:
        from app.codes import InvalidPhone, normalize_phone

        try:
            norm = normalize_phone(phone) if phone.strip() else None
        except InvalidPhone as exc:
            raise UserError(str(exc), field="phone") from None
        if norm != user.phone:
            user.phone = norm
            changed.append("phone")
    if title is not None and (title or None) != user.title:
        user.title = title or None
        changed.append("title")
    if roles is not None:
        new_roles = _check_roles(roles)
        if "admin" in user.role_set and "admin" not in new_roles.split(",") and user.active:
            _require_another_admin(work, user)
        if new_roles != user.roles:
            user.roles = new_roles
            changed.append("roles")
    if changed:
        audit.record(session, actor, "user.update", table="user", record_id=user.id, fields=changed)
    if "display_name" in changed:
        remember_sign_in_names(work)
    return user


def change_own_password(work: Work, old_password: str, new_password: str) -> None:
    """The signed-in user (``work.actor``) changes their own password; the old one must be given (a
    left-open window is not enough)."""
    session = work.session
    user = session.get(User, work.actor.id) if work.actor is not None else None
    if user is None or not user.active:
        raise UserError("找不到这个账号，或账号已停用")
    # a wrong 原密码 counts as a wrong sign-in (a left-open window is not a way to guess it): the same
    # throttle, and its audit row kept although the change is refused
    _try_password(work, user, old_password, utcnow(), wrong="原密码不对，请重新输入", field="old_password")
    if new_password == old_password:
        raise UserError("新密码不能和原密码相同", field="password")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    audit.record(
        session, user, "user.change_password", table="user", record_id=user.id, fields=["password_hash"]
    )
    wrap_key_for(work, user, new_password)


def first_active_admin(work: Work) -> User | None:
    """The oldest active administrator of this station (selftest signs in as them)."""
    for user in local_users(work, include_inactive=False):
        if "admin" in user.role_set:
            return user
    return None


def find_user(work: Work, user_id: str) -> User | None:
    return work.session.get(User, user_id)


# -- the workspace key, wrapped for each account (docs/security.md) -------------------------------------
def _update_slots(work: Work, change: Callable[[KeySlots, bytes], object]) -> None:
    if work.key is None:  # a plain database (the bench's yardstick): no slots
        return
    try:
        KeySlots.change(work.paths.keys, work.key, change)
    except SlotsBusy as exc:
        raise UserError(str(exc)) from None


def remember_sign_in_names(work: Work) -> None:
    """Keep the 姓名 of the active accounts beside their key slots, so the sign-in dialog can offer them
    by name before the database is open (written after the commit, only when they changed)."""
    if work.key is None:
        return
    names = {u.id: u.display_name for u in local_users(work, include_inactive=False) if u.display_name}

    def write() -> None:
        slots = KeySlots.load(work.paths.keys)
        if slots is not None and slots.names != names:
            slots.names = names
            slots.save(work.paths.keys)

    work.after_commit(write)


def wrap_key_for(work: Work, user: User, password: str) -> None:
    """Wrap the workspace key with ``user``'s (new) password. The new slot is written at once, beside
    the account's old one; the old one is dropped when the unit of work commits. Killed in between,
    either password opens the database and the database says which one is right."""
    new: list[Slot] = []
    _update_slots(
        work, lambda slots, key: new.append(slots.add_account(key, user.id, user.username, password))
    )

    def drop_old() -> None:
        def keep(slots: KeySlots, _key: bytes) -> None:
            slots.keep_only(new[0])
            slots.seal_provisional()

        if new:
            _update_slots(work, keep)

    work.after_commit(drop_old)


def has_recovery_code(work: Work) -> bool:
    slots = KeySlots.load(work.paths.keys)
    return slots is not None and slots.has_recovery


def new_recovery_code(work: Work) -> str:
    """A new recovery code (the old one stops working once this unit of work commits). Shown once, to be
    printed and kept in the station's safe; never stored. Administrators only; audit-logged."""
    if work.actor is not None:
        require(work.actor, "manage_users")
    if work.key is None:
        raise UserError("数据库没有加密，不需要恢复码")
    made: list[tuple[str, Slot]] = []
    _update_slots(work, lambda slots, key: made.append(slots.add_recovery(key)))
    audit.record(work.session, work.actor, "recovery.new", detail="生成了新的恢复码（旧的作废）")

    def drop_old() -> None:
        def keep(slots: KeySlots, _key: bytes) -> None:
            slots.keep_only(made[0][1])
            slots.seal_provisional()

        _update_slots(work, keep)

    work.after_commit(drop_old)
    return made[0][0]


def recover(work: Work, username: str, new_password: str) -> User:
    """After the recovery code opened the database (:meth:`app.workspace.Workspace.unlock_with_recovery`):
    give the administrator ``username`` a new password, and audit-log that the recovery code was used."""
    session = work.session
    user = session.scalars(
        select(User).where(User.username == username.strip(), User.village_code == work.unit_code)
    ).first()
    if user is None or "admin" not in user.role_set:
        raise UserError("没有这个管理员账号：请填写要重设密码的管理员登录名", field="username")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.active = True
    audit.record(
        session,
        None,
        "user.recovered",
        table="user",
        record_id=user.id,
        fields=["password_hash"],
        detail=f"用恢复码为管理员“{user.username}”重设了密码",
    )
    wrap_key_for(work, user, new_password)
    session.flush()  # written now: the caller may detach the user it gets back
    return user
