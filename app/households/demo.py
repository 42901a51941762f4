"""演示数据·户籍: cadres, households and members as a real village roster looks.

Surnames by national frequency (the village's own surname more common), families with realistic
relations and ages, valid resident IDs (check digit, birth date and sex consistent, the county's
address code = the first 6 digits of the village code), phones, 组, tags in realistic proportions,
contact and area cadres, some contact cards delivered. Core bulk inserts (100 000 households in
well under a minute); everything derived from ``demo.rng`` so a seed gives the same village.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select

from db import diary_derived, vocab
from db.base import new_id
from db.models import CadreAssignment, Household, HouseholdTag, Person, User
from db.queries.households import MemberKeys, bulk_search_index, household_search_text
from db.stamping import stamp_new_rows

from app.accounts import hash_password
from app.codes import make_resident_id
from app.households.tags import tag_row_id
from app.pinyin import name_keys
from app.sync.records import table_of

if TYPE_CHECKING:
    from app.demo import DemoRun
    from app.workspace import Workspace

# Top surnames with rough shares (per mille) from the 2020 census ranking.
SURNAMES = (
    ("王", 74),
    ("李", 72),
    ("张", 69),
    ("刘", 54),
    ("陈", 46),
    ("杨", 32),
    ("黄", 24),
    ("赵", 23),
    ("吴", 21),
    ("周", 21),
    ("徐", 17),
    ("孙", 15),
    ("马", 15),
    ("朱", 14),
    ("胡", 13),
    ("郭", 12),
    ("何", 12),
    ("林", 11),
    ("高", 11),
    ("罗", 11),
    ("郑", 10),
    ("梁", 9),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 7),
    ("韩", 7),
    ("邓", 6),
    ("冯", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 6),
    ("肖", 6),
    ("田", 5),
    ("董", 5),
    ("潘", 5),
    ("袁", 5),
    ("蔡", 5),
    ("蒋", 5),
    ("余", 5),
    ("于", 5),
    ("杜", 5),
    ("叶", 4),
    ("程", 4),
    ("魏", 4),
    ("苏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("卢", 4),
    ("姚", 4),
    ("沈", 4),
    ("钟", 3),
    ("姜", 3),
    ("崔", 3),
    ("谭", 3),
    ("陆", 3),
    ("范", 3),
    ("汪", 3),
    ("廖", 3),
    ("石", 3),
    ("金", 3),
    ("韦", 3),
    ("贾", 3),
    ("夏", 3),
    ("付", 3),
    ("方", 3),
    ("邹", 2),
    ("熊", 2),
    ("白", 2),
    ("孟", 2),
    ("秦", 2),
    ("邱", 2),
    ("侯", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("单", 1),
    ("乐", 1),
    ("仇", 1),
    ("解", 1),
    ("查", 1),
    ("区", 1),
    ("欧阳", 1),
    ("司马", 1),
)
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志永海东振福贵德春生成文祥堃喆犇赟"
)
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英华慧巧美兰凤洁琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽玥淼"
ETHNICITIES = (("汉", 975), ("回", 10), ("满", 6), ("蒙古", 4), ("壮", 5))
OCCUPATIONS_ADULT = (
    ("务农", 45),
    ("外出务工", 25),
    ("个体经营", 8),
    ("无", 8),
    ("教师", 2),
    ("村医", 1),
    ("驾驶员", 3),
    ("建筑工", 5),
    ("企业职工", 3),
)
GROUP_NUMERALS = "一二三四五六七八九十"
CADRE_TITLES = (
    ("村党支部书记", ("cadre", "admin")),
    ("村委会主任", ("cadre",)),
    ("村党支部副书记", ("cadre",)),
    ("村委委员（治保调解）", ("cadre", "mediator")),
    ("村委委员（妇女主任）", ("cadre",)),
    ("村委委员（文书）", ("cadre",)),
    ("村务监督委员会主任", ("cadre",)),
    ("人民调解员", ("mediator",)),
)
# Share (per mille) of households with each tag; 空巢老人 and 留守儿童 follow the family instead.
TAG_RATES = (
    ("低保", 50),
    ("困难户", 40),
    ("特困", 10),
    ("五保", 8),
    ("残疾", 30),
    ("老党员/老干部", 40),
    ("经济能人", 20),
    ("上访户", 5),
    ("矛盾纠纷户", 10),
    ("刑满释放", 3),
    ("社区矫正", 1),
    ("失亲儿童", 1),
)
DEMO_PASSWORD = "minqing"
CHUNK = 5000


def group_label(i: int) -> str:
    """1 → 一组, 12 → 十二组, 20 → 二十组."""
    if i <= 10:
        return GROUP_NUMERALS[i - 1] + "组"
    tens, ones = divmod(i, 10)
    head = ("" if tens == 1 else GROUP_NUMERALS[tens - 1]) + "十"
    return head + (GROUP_NUMERALS[ones - 1] if ones else "") + "组"


class _Picker:
    def __init__(self, rng: random.Random, weighted: Sequence[tuple[str, int]]) -> None:
        self.rng = rng
        self.items = [w[0] for w in weighted]
        self.weights = [w[1] for w in weighted]
        total, cum = 0, []
        for w in self.weights:
            total += w
            cum.append(total)
        self.cum, self.total = cum, total

    def __call__(self) -> str:
        import bisect

        return self.items[bisect.bisect_right(self.cum, self.rng.random() * self.total)]


def _sql_value(value: object) -> object:
    # The text forms SQLAlchemy's SQLite types store (so ORM reads of these rows are unchanged).
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight on the driver: SQLAlchemy's per-row bind processing costs more than SQLite.

    Only columns whose first row holds a date, datetime or bool are converted (the demo fills a
    column with one kind of value or None); the stamp times are the same for the whole chunk.
    """
    cols = list(rows[0])
    convert = [any(isinstance(r[c], dt.date | bool) for r in rows[:50]) for c in cols]
    sql = f'INSERT INTO "{table.name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) VALUES ({", ".join("?" * len(cols))})'
    conv_idx = [i for i, c in enumerate(convert) if c]
    data = []
    for r in rows:
        values = [r[c] for c in cols]
        for i in conv_idx:
            v = values[i]
            if v is not None:
                values[i] = _sql_value(v)
        data.append(tuple(values))
    conn.exec_driver_sql(sql, data)


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    rng = demo.rng
    today = demo.today
    station = ws.require_station()
    county = station.code[:6]
    ctx = ws.stamp_context(None)
    progress: Callable[[int, int, str], None] = demo.progress

    id_clock = itertools.count(int(dt.datetime(today.year, today.month, today.day).timestamp() * 1000))

    def uid() -> str:  # reproducible for a seed, clustered like every station's ids
        return new_id(ctx.station_id, ms=next(id_clock), rand=rng.getrandbits(42))

    village_surname = station.name[0] if station.name and station.name[0] in dict(SURNAMES) else None
    surnames = list(SURNAMES)
    if village_surname:
        surnames = [(s, w * 4 if s == village_surname else w) for s, w in surnames]
    pick_surname = _Picker(rng, surnames)
    pick_ethnicity = _Picker(rng, ETHNICITIES)
    pick_job = _Picker(rng, OCCUPATIONS_ADULT)
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    keys_cache: dict[str, tuple[list[str], list[str]]] = {}
    compound = {s for s, _ in SURNAMES if len(s) == 2}

    def mobile() -> str:
        while True:
            p = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            if p not in used_phones:
                used_phones.add(p)
                return p

    def given(sex: str) -> str:
        chars = MALE_CHARS if sex == "男" else FEMALE_CHARS
        return rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")

    def resident_id(birth: dt.date, sex: str) -> str:
        for _ in range(50):
            number = make_resident_id(county, birth, rng.randrange(500), sex)
            if number not in used_ids:
                used_ids.add(number)
                return number
        raise RuntimeError("resident id space exhausted")

    def legacy_id(birth: dt.date, sex: str) -> str:
        while True:
            seq = rng.randrange(500) * 2 + (1 if sex == "男" else 0)
            number = f"{county}{birth:%y%m%d}{seq:03d}"
            if number not in used_ids:
                used_ids.add(number)
                return number

    def part_keys(part: str) -> tuple[list[str], list[str]]:
        if part not in keys_cache:
            full, initials = name_keys(part)
            keys_cache[part] = (full.split(), initials.split())
        return keys_cache[part]

    def person_keys(name: str) -> tuple[str, str]:
        # Surname and given name separately (cached): the same keys as name_keys(name) for demo names,
        # at a fraction of the cost of running pypinyin on 300 000 distinct full names.
        cut = 2 if name[:2] in compound else 1
        (sf, si) = part_keys(name[:cut])
        given = name[cut:]
        if len(given) == 2:
            (af, ai), (bf, bi) = part_keys(given[0]), part_keys(given[1])
            gf, gi = [a + b for a in af for b in bf], list(dict.fromkeys(a + b for a in ai for b in bi))
        else:
            gf, gi = part_keys(given)
        fulls = [a + b for a in sf for b in gf][:16]
        inits = list(dict.fromkeys(a + b for a in si for b in gi))[:16]
        return " ".join(fulls), " ".join(inits)

    def birth(age: int) -> dt.date:
        return today - dt.timedelta(days=age * 365 + rng.randrange(365))

    n_households = demo.households
    n_groups = max(3, min(30, round(n_households**0.5 / 2.5)))
    groups = [group_label(i) for i in range(1, n_groups + 1)]

    assert ws.engine is not None, "the workspace is open"
    with ws.engine.begin() as conn:
        # Random UUID keys scatter index writes: a bigger page cache for this one bulk transaction, then
        # the connection's own again (an encrypted workspace's is db/engine.ENCRYPTED_CACHE_KIB: a search
        # after the demo in the same process ran with SQLite's 2 MB, four times slower, bench_households)
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        conn.exec_driver_sql("PRAGMA cache_size=-196608")
        # the search index and the derived visit rows (db/diary_derived.py) are made once, at the end,
        # set-based: their per-row triggers would run seven statements for every household
        with diary_derived.triggers_set_aside(conn), bulk_search_index(conn):
            # -- cadres -------------------------------------------------------------------------------
            password_hash = hash_password(DEMO_PASSWORD)
            existing = set(conn.scalars(select(User.username)).all())
            users = []
            specs = [(f"cadre{i + 1:02d}", title, roles) for i, (title, roles) in enumerate(CADRE_TITLES)]
            specs += [(f"zuzhang{i + 1:02d}", f"{g}组长", ("cadre",)) for i, g in enumerate(groups)]
            specs += [("wangge01", "网格员", ("cadre",)), ("wangge02", "网格员", ("cadre",))]
            for username, title, roles in specs:
                sex = "男" if rng.random() < 0.7 else "女"
                name = pick_surname() + given(sex)
                if username in existing:
                    continue
                users.append(
                    {
                        "id": uid(),
                        "username": username,
                        "display_name": name,
                        "phone": mobile(),
                        "title": title,
                        "roles": ",".join(sorted(roles)),
                        "password_hash": password_hash,
                        "active": True,
                    }
                )
            stamp_new_rows(conn, ctx, users)
            if users:
                bulk_insert(conn, table_of(User), users)
            cadre_rows = conn.execute(
                select(User.id, User.title, User.roles)
                .where(User.deleted_at.is_(None))
                .order_by(User.username)
            ).all()
            cadre_ids = [r.id for r in cadre_rows if "cadre" in (r.roles or "").split(",")]
            committee = [
                r.id for r in cadre_rows if r.title and ("村" in r.title) and "cadre" in r.roles.split(",")
            ]
            leaders = {r.title[:-2]: r.id for r in cadre_rows if r.title and r.title.endswith("组长")}
            contact_pool = cadre_ids or [None]

            # -- households ---------------------------------------------------------------------------
            household_ids: list[str] = []
            person_ids: list[str] = []
            made = {
                "households": 0,
                "persons": 0,
                "household_tags": 0,
                "cadre_assignments": 0,
                "users": len(users),
            }
            h_rows: list[dict[str, Any]] = []
            p_rows: list[dict[str, Any]] = []
            t_rows: list[dict[str, Any]] = []
            c_rows: list[dict[str, Any]] = []
            per_group = [0] * n_groups

            def person(
                hid: str,
                name: str,
                relation: str,
                sex: str,
                age: int,
                *,
                job: str | None = None,
                phone: str | None = None,
            ) -> dict[str, Any]:
                b = birth(age)
                r = rng.random()
                if age >= 16 and r < 0.004 and b.year < 2000:
                    number = legacy_id(b, sex)
                elif age < 3 and r < 0.1:
                    number = None  # 新生儿 not yet registered
                else:
                    number = resident_id(b, sex)
                full, initials = person_keys(name)
                status, status_date = "在册", None
                s = rng.random()
                if s < 0.01:
                    status, status_date = "已故", today - dt.timedelta(days=rng.randrange(30, 1500))
                elif s < 0.03 and relation != "户主":
                    status, status_date = "迁出", today - dt.timedelta(days=rng.randrange(30, 1500))
                if age < 7:
                    occ = None
                elif age < 19:
                    occ = "学生"
                elif age >= 65:
                    occ = "务农" if rng.random() < 0.4 else "无"
                else:
                    occ = job or pick_job()
                row = {
                    "id": uid(),
                    "household_id": hid,
                    "name": name,
                    "relation": relation,
                    "sex": sex,
                    "birth_date": b,
                    "id_number": number,
                    "ethnicity": ethnicity,
                    "phone": phone,
                    "occupation": occ,
                    "status": status,
                    "status_date": status_date,
                    "name_pinyin": full,
                    "name_initials": initials,
                    "notes": "",
                }
                p_rows.append(row)
                return row

            for n in range(n_households):
                gi = rng.randrange(n_groups)
                per_group[gi] += 1
                group = groups[gi]
                hid = uid()
                surname = pick_surname()
                ethnicity = pick_ethnicity()
                head_sex = "男" if rng.random() < 0.86 else "女"
                head_age = int(rng.triangular(26, 88, 55))
                members: list[dict[str, Any]] = []
                head_phone = mobile() if rng.random() < 0.9 - (0.3 if head_age > 75 else 0) else None
                head = person(hid, surname + given(head_sex), "户主", head_sex, head_age, phone=head_phone)
                members.append(head)
                married = rng.random() < (0.92 if head_age < 70 else 0.6)
                if married:
                    sp_sex = "女" if head_sex == "男" else "男"
                    sp_age = max(20, head_age + rng.randint(-6, 4) * (1 if head_sex == "男" else -1))
                    members.append(
                        person(
                            hid,
                            pick_surname() + given(sp_sex),
                            "配偶",
                            sp_sex,
                            sp_age,
                            phone=mobile() if rng.random() < 0.55 else None,
                        )
                    )
                child_surname = surname if head_sex == "男" else (pick_surname() if not married else surname)
                left_behind = False
                if head_age < 52:
                    for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3))):
                        c_age = head_age - rng.randint(22, 32)
                        if c_age < 0:
                            continue
                        c_sex = rng.choice("男女")
                        members.append(
                            person(
                                hid,
                                child_surname + given(c_sex),
                                "子" if c_sex == "男" else "女",
                                c_sex,
                                c_age,
                                phone=mobile() if c_age >= 18 and rng.random() < 0.7 else None,
                            )
                        )
                    if rng.random() < 0.12 and head_age < 45:
                        p_sex = rng.choice("男女")
                        members.append(
                            person(
                                hid,
                                (surname if p_sex == "男" else pick_surname()) + given(p_sex),
                                "父亲" if p_sex == "男" else "母亲",
                                p_sex,
                                head_age + rng.randint(24, 32),
                            )
                        )
                elif rng.random() < 0.55:
                    son_age = head_age - rng.randint(23, 32)
                    if son_age >= 20:
                        working_away = rng.random() < 0.5
                        members.append(
                            person(
                                hid,
                                child_surname + given("男"),
                                "子",
                                "男",
                                son_age,
                                job="外出务工" if working_away else None,
                                phone=mobile(),
                            )
                        )
                        if rng.random() < 0.8:
                            members.append(
                                person(
                                    hid,
                                    pick_surname() + given("女"),
                                    "儿媳",
                                    "女",
                                    son_age + rng.randint(-3, 2),
                                    phone=mobile(),
                                )
                            )
                        for _ in range(rng.choice((0, 1, 1, 2))):
                            g_age = son_age - rng.randint(22, 30)
                            if g_age >= 0:
                                g_sex = rng.choice("男女")
                                members.append(
                                    person(
                                        hid,
                                        child_surname + given(g_sex),
                                        "孙子" if g_sex == "男" else "孙女",
                                        g_sex,
                                        g_age,
                                    )
                                )
                                left_behind = left_behind or (working_away and g_age < 16)
                phones = head_phone or ""
                if rng.random() < 0.08:
                    phones = ",".join(p for p in (f"0535-66{rng.randrange(10**5):05d}", head_phone) if p)
                no = f"{gi + 1:02d}{per_group[gi]:04d}"
                address = f"{group}{per_group[gi]}号"
                household_ids.append(hid)
                person_ids.extend(m["id"] for m in members)
                h_rows.append(
                    {
                        "id": hid,
                        "household_no": no,
                        "head_id": head["id"],
                        "head_name": head["name"],
                        "group_name": group,
                        "address": address,
                        "phones": phones,
                        "notes": "",
                        "card_delivered_on": (
                            today - dt.timedelta(days=rng.randrange(7, 400)) if rng.random() < 0.7 else None
                        ),
                        "search_text": household_search_text(
                            household_no=no,
                            group_name=group,
                            address=address,
                            phones=phones,
                            members=[
                                MemberKeys(
                                    m["name"],
                                    m["name_pinyin"],
                                    m["name_initials"],
                                    m["id_number"],
                                    m["phone"],
                                )
                                for m in members
                            ],
                        ),
                    }
                )
                tags = [t for t, rate in TAG_RATES if rng.random() * 1000 < rate]
                if head_age >= 65 and len(members) <= 2 and rng.random() < 0.6:
                    tags.append("空巢老人")
                if left_behind and rng.random() < 0.5:
                    tags.append("留守儿童")
                for t in tags:
                    t_rows.append({"id": tag_row_id(hid, t), "household_id": hid, "tag": t})
                start = today - dt.timedelta(days=rng.randrange(30, 900))
                area = leaders.get(group) or rng.choice(contact_pool)
                if area:
                    c_rows.append(
                        {
                            "id": uid(),
                            "household_id": hid,
                            "cadre_id": area,
                            "role": vocab.AREA_CADRE,
                            "start_on": start,
                            "end_on": None,
                        }
                    )
                if rng.random() < 0.92 and contact_pool[0] is not None:
                    contact = (
                        rng.choice(committee)
                        if committee and rng.random() < 0.5
                        else rng.choice(contact_pool)
                    )
                    if rng.random() < 0.1:  # an earlier contact cadre, for the history
                        earlier = rng.choice(contact_pool)
                        c_rows.append(
                            {
                                "id": uid(),
                                "household_id": hid,
                                "cadre_id": earlier,
                                "role": vocab.CONTACT_CADRE,
                                "start_on": start - dt.timedelta(days=rng.randrange(100, 700)),
                                "end_on": start,
                            }
                        )
                    c_rows.append(
                        {
                            "id": uid(),
                            "household_id": hid,
                            "cadre_id": contact,
                            "role": vocab.CONTACT_CADRE,
                            "start_on": start,
                            "end_on": None,
                        }
                    )
                if len(h_rows) >= CHUNK or n == n_households - 1:
                    for table, rows, key in (
                        (Household, h_rows, "households"),
                        (Person, p_rows, "persons"),
                        (HouseholdTag, t_rows, "household_tags"),
                        (CadreAssignment, c_rows, "cadre_assignments"),
                    ):
                        if rows:
                            stamp_new_rows(conn, ctx, rows)
                            bulk_insert(conn, table_of(table), rows)
                            made[key] += len(rows)
                        rows.clear()
                    progress(n + 1, n_households, "生成户籍演示数据")
            diary_derived.refresh_written(conn, households=household_ids)
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    demo.shared["cadre_ids"] = cadre_ids
    demo.shared["household_ids"] = household_ids
    demo.shared["person_ids"] = person_ids
    return made
