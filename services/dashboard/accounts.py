"""Staff accounts: creating them, logging in, changing a password, one-time set-password links.

Login gives one generic error (`LoginFailed`) for an unknown email, a wrong password, a
disabled or locked account; an unknown email is checked against a dummy hash so it takes as
long as a known one. After `tandem_login_max_failures` wrong passwords in a row the account is
locked for `tandem_login_lockout_minutes`. Argon2 runs in the default executor, never on the
event loop. Each action writes its audit row in its own transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.dashboard import audit
from services.dashboard.audit import Actor, Where
from services.db.base import utcnow
from services.db.tables import ROLES, SetPasswordLink, StaffAccount
from services.settings import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
LINK_LIFETIME = timedelta(hours=24)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

T = TypeVar("T")


class AccountError(Exception):
    """A staff-account request that cannot be done; the message is safe to show."""


class InvalidEmail(AccountError):
    pass


class InvalidRole(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class AccountExists(AccountError):
    pass


class LoginFailed(AccountError):
    """The one login error, whatever the reason."""

    def __init__(self) -> None:
        super().__init__("That email and password do not match an account that can log in.")


class WrongPassword(AccountError):
    def __init__(self) -> None:
        super().__init__("Your current password is not right.")


class InvalidLink(AccountError):
    def __init__(self) -> None:
        super().__init__("This link is used, expired or unknown. Ask an admin for a new one.")


@dataclass(frozen=True)
class StaffUser:
    """The logged-in person, as the pages and the role check see her."""

    id: int
    email: str
    role: str
    # Changes with the password and at logout: older sessions stop working.
    stamp: str

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)

    @classmethod
    def of(cls, account: StaffAccount) -> StaffUser:
        stamp = "|".join(
            t.isoformat() if t else "-"
            for t in (account.password_changed_at, account.sessions_revoked_at)
        )
        return cls(account.id, account.email, account.role, stamp)


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidEmail("Enter an email address like name@example.org.")
    return email


def check_new_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if password.strip().lower() == email:
        raise WeakPassword("Do not use your email address as your password.")


def token_hash(token: str) -> str:
    """Links carry 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


async def off_loop(fn: Callable[..., T], *args: object) -> T:
    """Run CPU-heavy work (argon2) in the default executor, not on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class Passwords:
    """Argon2id hashing and verification, off the event loop."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await off_loop(self.hasher.hash, password)

    async def verify(self, hashed: str, password: str) -> bool:
        try:
            return await off_loop(self.hasher.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    async def warm_up(self) -> None:
        """Make the dummy hash now, so that the first unknown email is not slower."""
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))

    async def dummy_verify(self, password: str) -> None:
        """As long as checking a real account's password; the answer is always no."""
        await self.warm_up()
        assert self._dummy is not None
        await self.verify(self._dummy, password)

    def needs_rehash(self, hashed: str) -> bool:
        return self.hasher.check_needs_rehash(hashed)


class StaffAccounts:
    def __init__(
        self, sessions: async_sessionmaker, settings: Settings, passwords: Passwords | None = None
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self.passwords = passwords or Passwords()

    async def add(
        self,
        email: str,
        role: str,
        password: str | None,
        where: Where,
        by: Actor | None = None,
    ) -> tuple[StaffUser, str | None]:
        """A new account, with its password or (None) a one-time link token to set it;
        `by` is the admin adding her in the dashboard (None: the command line)."""
        email = normalize_email(email)
        if role not in ROLES:
            raise InvalidRole(f"role must be one of {', '.join(ROLES)}")
        hashed = None
        if password is not None:
            check_new_password(password, email)
            hashed = await self.passwords.hash(password)
        token = None
        try:
            async with self._sessions() as session, session.begin():
                account = StaffAccount(
                    email=email,
                    role=role,
                    password_hash=hashed,
                    password_changed_at=utcnow() if hashed else None,
                )
                session.add(account)
                await session.flush()
                audit.record(session, "staff_created", by, where, "staff", account.id)
                if hashed is None:
                    token = self._new_link(session, account.id, where, by)
        except IntegrityError:
            raise AccountExists(f"an account for {email} already exists") from None
        return StaffUser.of(account), token

    async def new_link(self, staff_id: int, where: Where, by: Actor) -> tuple[str, str]:
        """Another one-time link for an active account (she forgot her password): her email
        and the token. Her password stays as it is until the link is used."""
        async with self._sessions() as session, session.begin():
            account = await session.get(StaffAccount, staff_id)
            if account is None or not account.active:
                raise AccountError("Links are only for active accounts.")
            return account.email, self._new_link(session, staff_id, where, by)

    def _new_link(
        self, session: AsyncSession, staff_id: int, where: Where, by: Actor | None = None
    ) -> str:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session.add(
            SetPasswordLink(
                staff_id=staff_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        audit.record(session, "set_password_link_created", by, where, "staff", staff_id)
        return token

    async def login(self, email: str, password: str, where: Where) -> StaffUser:
        settings = self._settings
        try:
            email = normalize_email(email)
        except InvalidEmail:
            email = ""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            account = (
                await session.execute(
                    select(StaffAccount).where(StaffAccount.email == email).with_for_update()
                )
            ).scalar_one_or_none()
            if account is None or not account.active or account.password_hash is None:
                await self.passwords.dummy_verify(password)
                actor = Actor(account.id, account.role) if account else None
                audit.record(session, "login_failed", actor, where)
                user = None
            elif account.locked_until is not None and account.locked_until > now:
                await self.passwords.dummy_verify(password)
                audit.record(
                    session, "login_refused_locked", Actor(account.id, account.role), where
                )
                user = None
            elif not await self.passwords.verify(account.password_hash, password):
                actor = Actor(account.id, account.role)
                audit.record(session, "login_failed", actor, where)
                account.failed_logins += 1
                if account.failed_logins >= settings.tandem_login_max_failures:
                    account.failed_logins = 0
                    minutes = settings.tandem_login_lockout_minutes
                    account.locked_until = now + timedelta(minutes=minutes)
                    audit.record(session, "account_locked", actor, where, "staff", account.id)
                user = None
            else:
                account.failed_logins = 0
                account.locked_until = None
                if self.passwords.needs_rehash(account.password_hash):
                    account.password_hash = await self.passwords.hash(password)
                user = StaffUser.of(account)
                audit.record(session, "login_succeeded", user.actor, where)
        # Raised after the commit: the failure count and the audit row stay.
        if user is None:
            raise LoginFailed
        return user

    async def current(self, staff_id: int) -> StaffUser | None:
        """The account behind a session, if it can still log in."""
        async with self._sessions() as session:
            account = await session.get(StaffAccount, staff_id)
        if account is None or not account.active or account.password_hash is None:
            return None
        return StaffUser.of(account)

    async def logout(self, user: StaffUser, where: Where) -> None:
        """Ends this session and every other one of hers (cookies can be copied)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.id == user.id)
                .values(sessions_revoked_at=utcnow())
            )
            audit.record(session, "logout", user.actor, where)

    async def change_password(
        self, user: StaffUser, current: str, new: str, where: Where
    ) -> StaffUser:
        check_new_password(new, user.email)
        async with self._sessions() as session, session.begin():
            account = await session.get(StaffAccount, user.id, with_for_update=True)
            if account is None or account.password_hash is None:
                raise WrongPassword
            ok = await self.passwords.verify(account.password_hash, current)
            if ok:
                account.password_hash = await self.passwords.hash(new)
                account.password_changed_at = utcnow()
                audit.record(session, "password_changed", user.actor, where, "staff", user.id)
            else:
                audit.record(session, "password_change_failed", user.actor, where, "staff", user.id)
        if not ok:
            raise WrongPassword
        return StaffUser.of(account)

    async def link_email(self, token: str) -> str:
        """The email a set-password link is for, while it can be used; else InvalidLink."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(StaffAccount.email)
                    .join(SetPasswordLink, SetPasswordLink.staff_id == StaffAccount.id)
                    .where(*self._usable(token, utcnow()), StaffAccount.active)
                )
            ).scalar_one_or_none()
        if row is None:
            raise InvalidLink
        return row

    @staticmethod
    def _usable(token: str, now: datetime) -> tuple:  # type: ignore[type-arg]
        return (
            SetPasswordLink.token_hash == token_hash(token),
            SetPasswordLink.used_at.is_(None),
            SetPasswordLink.expires_at > now,
        )

    async def set_password_from_link(self, token: str, new: str, where: Where) -> StaffUser:
        """Sets the password once: the link (and any other open link of hers) is used up."""
        email = await self.link_email(token)
        check_new_password(new, email)
        hashed = await self.passwords.hash(new)
        now = utcnow()
        async with self._sessions() as session, session.begin():
            link = (
                await session.execute(select(SetPasswordLink).where(*self._usable(token, now)))
            ).scalar_one_or_none()
            if link is None:
                raise InvalidLink
            # Conditional on still being unused: of two at once, one wins.
            used = await session.execute(
                update(SetPasswordLink)
                .where(SetPasswordLink.staff_id == link.staff_id, SetPasswordLink.used_at.is_(None))
                .values(used_at=now)
            )
            account = await session.get(StaffAccount, link.staff_id, with_for_update=True)
            if not used.rowcount or account is None or not account.active:  # type: ignore[attr-defined]
                raise InvalidLink
            account.password_hash = hashed
            account.password_changed_at = now
            account.failed_logins = 0
            account.locked_until = None
            user = StaffUser.of(account)
            audit.record(session, "password_set_by_link", user.actor, where, "staff", user.id)
        return user
