"""The bank register: banks, branches and officer accounts (named operations)."""

from sqlalchemy import func, select

from models import Bank, BankBranch, Region, Role, User, db


class BankRefused(ValueError):
    """A registration the rules refuse; the message is Chinese."""


def bank_rows() -> list[tuple[Bank, int, int]]:
    """Every bank with its number of branches and officers."""
    branches = (
        select(BankBranch.bank_id, func.count().label("n")).group_by(BankBranch.bank_id).subquery()
    )
    officers = (
        select(User.bank_id, func.count().label("n"))
        .where(User.role == Role.OFFICER.value)
        .group_by(User.bank_id)
        .subquery()
    )
    query = (
        select(Bank, func.coalesce(branches.c.n, 0), func.coalesce(officers.c.n, 0))
        .outerjoin(branches, branches.c.bank_id == Bank.id)
        .outerjoin(officers, officers.c.bank_id == Bank.id)
        .order_by(Bank.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def register_bank(name: str, short_name: str) -> Bank:
    name = name.strip()
    if db.session.scalar(select(Bank.id).where(Bank.name == name)) is not None:
        raise BankRefused("该机构已登记")
    bank = Bank(name=name, short_name=short_name.strip())
    db.session.add(bank)
    db.session.flush()
    return bank


def add_branch(bank: Bank, name: str, region_code: str) -> BankBranch:
    name = name.strip()
    taken = select(BankBranch.id).where(BankBranch.bank_id == bank.id, BankBranch.name == name)
    if db.session.scalar(taken) is not None:
        raise BankRefused("该网点已登记")
    branch = BankBranch(bank_id=bank.id, name=name, region_code=region_code)
    db.session.add(branch)
    db.session.flush()
    return branch


def add_officer(
    bank: Bank, *, username: str, display_name: str, phone: str, password: str, county_code: str
) -> User:
    """An officer account of the bank, scoped to the county (he sees the county's needs)."""
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise BankRefused("该用户名已被使用")
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=Role.OFFICER.value,
        scope_code=county_code,
        organisation=bank.name,
        phone=phone or None,
        bank_id=bank.id,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def bank_officers(bank_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.bank_id == bank_id, User.role == Role.OFFICER.value)
            .order_by(User.username)
        )
    )


def region_choices(scope_code: str) -> list[tuple[str, str]]:
    """The county and its townships and villages, for a branch's location."""
    county = scope_code[:6]
    rows = db.session.execute(
        select(Region.code, Region.name, Region.level)
        .where(Region.code.between(county + "000000", county + "999999"))
        .order_by(Region.code)
    )
    return [(code, name) for code, name, _level in rows]
