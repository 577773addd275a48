"""What happens to one inbound SMS, after its signature checked out.

record it (a repeated MessageSid gets the first answer) -> carrier keywords and opt-out ->
junk and flood guards (a crisis passes them, with a staff alert) -> the bot, or, when the bot
cannot answer, crisis help from the one crisis matcher or a holding message, with the message
kept for replay. Messages from one woman are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from safety.crisis import guess_language
from safety.judge import ASK, CRISIS, Judgement, SafetyJudge
from services.alerts import alerts
from services.clients import status as client_status
from services.clients.lookup import find_or_create_client
from services.clients.phones import PhoneVault
from services.db.base import utcnow
from services.db.tables import Client, Message
from services.engagement.signals import NewSignal, record_signal
from services.gateway import message_log
from services.gateway.keywords import Keyword, Keywords
from services.gateway.message_states import SETTLED_STATES, MessageState
from services.gateway.rasa_client import BotUnavailable
from services.gateway.replay import MAX_BODY_CHARS, Replayer
from services.gateway.sms_split import split_for_sms
from services.gateway.texts import GatewayTexts
from services.logs import log_event
from services.metrics import INBOUND, TURN_STEP
from services.nlg.responses import ResponseTexts
from services.privacy.forget import forget_client
from services.privacy.tracker_events import TrackerEvents
from services.settings import Settings
from sms_text.segments import count_segments

logger = logging.getLogger(__name__)

DUPLICATE_POLL_SECONDS = 0.1
TWILIO_OPT_OUT_TYPES = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}


@dataclass(frozen=True)
class InboundSms:
    sid: str
    sender: str
    body: str
    num_media: int = 0
    opt_out_type: str | None = None
    idempotency_token: str | None = None


@dataclass(frozen=True)
class Turn:
    replies: list[str]
    state: MessageState  # the inbound message's final state


@dataclass(frozen=True)
class _Her:
    """What a turn needs to know of her before deciding, read in one session under her lock
    (each session costs a pool checkout and its liveness check)."""

    opted_out: bool
    language: str | None
    last_sent: str | None  # the last text Tandem sent her
    recent: list[str]  # states of her other inbound messages in the flood window
    waiting: bool  # earlier messages of hers wait for the bot (replayed before this one)


@dataclass
class Gateway:
    settings: Settings
    sessions: async_sessionmaker
    vault: PhoneVault
    judge: SafetyJudge
    texts: ResponseTexts
    keywords: Keywords
    # Her conversation with the bot, in order: one turn at a time, missed messages replayed.
    replayer: Replayer
    # Rasa's stored conversations, deleted here when she asks to be forgotten.
    tracker: TrackerEvents | None = None
    say: GatewayTexts = field(init=False)  # the gateway's own words

    def __post_init__(self) -> None:
        self.say = GatewayTexts(self.settings, self.texts, self.judge)

    # -- the pipeline -------------------------------------------------------------------

    async def handle(self, sms: InboundSms) -> list[str]:
        """The replies for the webhook response. Raises InvalidPhone for a bad From."""
        # The crisis judgement (a sentence embedding, about 5 ms) runs in a thread while the
        # database work below waits on PostgreSQL, not after it: most turns need it.
        judging = asyncio.ensure_future(asyncio.to_thread(self.judge.judge, sms.body.strip()))
        try:
            with TURN_STEP.labels("record").time():
                client_id, message_id, duplicate = await self._record(sms)
        except IntegrityError:
            # The same MessageSid arrived in parallel and another request recorded it first.
            async with self.sessions() as session:
                first = await message_log.find_by_sid(session, sms.sid)
            assert first is not None
            client_id, message_id, duplicate = first.client_id, first.id, True
        if duplicate:
            INBOUND.labels("duplicate").inc()
            return await self._answer_given_to(message_id)
        async with self.replayer.lock_for(client_id):
            with TURN_STEP.labels("decide").time():
                turn = await self._decide(client_id, message_id, sms, judging)
            # Each TwiML message stays within two segments, split at words, order kept.
            turn = Turn([part for r in turn.replies for part in split_for_sms(r)], turn.state)
            with TURN_STEP.labels("reply").time():
                async with self.sessions() as session, session.begin():
                    await message_log.settle(session, message_id, turn.state)
                    message_log.record_replies(session, client_id, message_id, turn.replies)
        INBOUND.labels(turn.state).inc()
        log_event(
            logger,
            "sms_inbound_answered",
            client_id=client_id,
            message_sid=sms.sid,
            state=turn.state,
            replies=len(turn.replies),
        )
        return turn.replies

    async def _record(self, sms: InboundSms) -> tuple[str, int, bool]:
        async with self.sessions() as session, session.begin():
            # A retry first: it must not bring back a client who has since been forgotten.
            existing = await message_log.find_by_sid(session, sms.sid) if sms.sid else None
            if existing is not None:
                return existing.client_id, existing.id, True
            client = await find_or_create_client(session, self.vault, sms.sender)
            client.last_inbound_at = utcnow()
            message = Message(
                client_id=client.id,
                direction="inbound",
                twilio_sid=sms.sid or None,
                idempotency_token=sms.idempotency_token,
                body=sms.body,
                num_media=sms.num_media,
                segments=count_segments(sms.body),
                state=MessageState.RECEIVED,
            )
            session.add(message)
            await session.flush()
            # Her reply is the study's first measure of engagement: one message_in signal per
            # text (a retried MessageSid returned above and records nothing).
            await record_signal(
                session,
                client.id,
                NewSignal("message_in", source="gateway", message_sid=sms.sid or None),
            )
            return client.id, message.id, False

    async def _answer_given_to(self, message_id: int) -> list[str]:
        """The replies the first copy of a repeated message got, once it has them."""
        deadline = asyncio.get_running_loop().time() + self.settings.rasa_timeout_seconds + 3
        while True:
            async with self.sessions() as session:
                message = await session.get(Message, message_id)
                assert message is not None
                if message.state in SETTLED_STATES:
                    return await message_log.replies_to(session, message_id)
            if asyncio.get_running_loop().time() > deadline:
                return []  # the first request is still working; it will answer Twilio
            await asyncio.sleep(DUPLICATE_POLL_SECONDS)

    async def _decide(
        self, client_id: str, message_id: int, sms: InboundSms, judging: Awaitable[Judgement]
    ) -> Turn:
        text = sms.body.strip()
        her = await self._read_her(client_id, message_id)
        opted_out = her.opted_out

        if sms.opt_out_type:
            # Twilio's Advanced Opt-Out already answered her: record the change, send nothing.
            keyword = TWILIO_OPT_OUT_TYPES.get(sms.opt_out_type.strip().upper())
            if keyword in (Keyword.OPT_OUT, Keyword.OPT_IN):
                opting_out = keyword is Keyword.OPT_OUT
                await self.set_opt_out(
                    client_id, opting_out, client_status.BY_TWILIO_OPT_OUT_TYPE, sms.sid
                )
            return Turn([], MessageState.KEYWORD)
        forget = await self._forget_step(client_id, message_id, text, her) if text else None
        if forget is not None:
            return forget  # a reply to her own request, so even after an opt-out
        asked = (
            bool(text) and not opted_out and self._last_sent(her, "opt_out_question") is not None
        )
        keyword = self.keywords.classify(text, opted_out=opted_out, asked=asked) if text else None
        judgement = await judging if keyword is Keyword.OPT_OUT else None
        said = judgement is not None and self.keywords.says_stop(text)
        if judgement is not None and judgement.level == CRISIS and not said:
            # Danger only the opt-out readers took for "stop" ("he took my phone and keys,
            # writing from my daughter's", "cant do this anymore. goodbye"): the bot's crisis
            # reply, not an opt-out that would leave her with no answer.
            keyword = None
        elif judgement is not None and judgement.level in (CRISIS, ASK) and not opted_out:
            # A stop with possible danger in it is honoured, whether she said it in so many
            # words or only the readers read it. Until round 21 a readers-only stop with some
            # risk got the safety question or the opt-out question, which lost four opt-outs
            # of AN..AP ("this is her mother, she asked me to tell you not to text her
            # anymore", "i do not want these. end them"); the 35 crises of the 39 blind sets
            # that the readers took for a stop were all judged a crisis, none a question. The
            # bot never sees it: staff hear of it, and the confirmation gives 911 and 988.
            possible = "(possible) " if judgement.level == ASK else ""
            where = f"{possible}with a request to stop the texts"
            await self._alert_staff(client_id, sms.sid, judgement.category, where)
        language = guess_language(text, default=her.language)
        if keyword is Keyword.OPT_OUT:
            if opted_out:
                return Turn([], MessageState.KEYWORD)  # exactly one confirmation
            await self.set_opt_out(client_id, True, client_status.BY_SMS_KEYWORD, sms.sid)
            # A crisis said while opting out still gets the crisis lines, first. A possible
            # one gets no question she could not answer once unsubscribed: the confirmation
            # itself gives 911 and 988.
            crisis = judgement is not None and judgement.level == CRISIS
            return Turn(
                [
                    *(self.say.crisis_reply(text, judgement=judgement) if crisis else []),
                    self.say.text("opted_out", language),
                ],
                MessageState.KEYWORD,
            )
        if keyword is Keyword.OPT_IN:
            if opted_out:
                await self.set_opt_out(client_id, False, client_status.BY_SMS_KEYWORD, sms.sid)
            return Turn([self.say.text("opted_in", language)], MessageState.KEYWORD)
        if opted_out:
            # Nothing is sent to an opted-out number, with one exception for safety: a crisis
            # message she starts still gets the crisis lines (a possible one too: no question,
            # since her answer would reach nobody).
            return Turn(self.say.crisis_reply(text, question=False), MessageState.IGNORED)
        if keyword is Keyword.HELP:
            return Turn([self.say.text("help", language)], MessageState.KEYWORD)
        if keyword is Keyword.OPT_OUT_QUESTION and not self.say.crisis_reply(text):
            return Turn([self.say.text("opt_out_question", language)], MessageState.KEYWORD)
        if not text:
            return Turn(
                [self.say.text("media_only")] if sms.num_media else [], MessageState.IGNORED
            )
        too_long = len(text) > MAX_BODY_CHARS
        flooding = len(her.recent) >= self.settings.tandem_rate_limit_count
        recent = her.recent if flooding and not too_long else None
        if too_long or recent is not None:
            judgement = await judging
            if judgement.level == CRISIS:
                # No guard holds back a crisis: staff are alerted now and the bot gets the
                # message like any other crisis (kept for replay if it cannot answer).
                where = "in an over-long message" if too_long else "during a flood"
                await self._alert_staff(client_id, sms.sid, judgement.category, where)
                return await self._bot_turn(client_id, sms.sid, text, judging, her.waiting)
            if too_long:
                return Turn(
                    self.say.crisis_reply(text) or [self.say.text("too_long")], MessageState.IGNORED
                )
            return self._flood_reply(text, recent or [])
        return await self._bot_turn(client_id, sms.sid, text, judging, her.waiting)

    async def _read_her(self, client_id: str, message_id: int) -> _Her:
        window = timedelta(seconds=self.settings.tandem_rate_limit_seconds)
        async with self.sessions() as session:
            client = await session.get(Client, client_id)
            assert client is not None
            return _Her(
                opted_out=client.opted_out,
                language=client.language,
                last_sent=await message_log.last_reply_text(session, client_id),
                recent=await message_log.recent_inbound(
                    session, client_id, utcnow() - window, exclude_id=message_id
                ),
                waiting=bool(await message_log.pending_for(session, client_id)),
            )

    def _last_sent(self, her: _Her, name: str) -> str | None:
        """The language of gateway text `name` if it was the last text Tandem sent her."""
        return None if her.last_sent is None else self.say.language_if(name, her.last_sent)

    async def _forget_step(
        self, client_id: str, message_id: int, text: str, her: _Her
    ) -> Turn | None:
        """ "delete my data": she is asked to confirm once; DELETE right after that question
        forgets her (services/privacy/forget.py)."""
        if self.keywords.asks_to_forget(text):
            return Turn(
                [self.say.text("forget_question", guess_language(text))], MessageState.KEYWORD
            )
        if not self.keywords.confirms_forget(text):
            return None
        language = self._last_sent(her, "forget_question")
        if language is None:
            return None  # a DELETE that answers nothing Tandem asked goes to the bot
        async with self.sessions() as session, session.begin():
            await forget_client(session, client_id, keep_message_id=message_id, now=utcnow())
        log_event(logger, "client_forgotten", client_id=client_id)
        if self.tracker is not None:
            try:
                await self.tracker.delete_conversations([client_id])
            except Exception:  # noqa: BLE001 - `tandem purge` deletes it for every forgotten client
                log_event(logger, "tracker_forget_failed", logging.ERROR, client_id=client_id)
        return Turn([self.say.text("forgotten", language)], MessageState.KEYWORD)

    def _flood_reply(self, text: str, recent: list[str]) -> Turn:
        crisis = self.say.crisis_reply(text)  # a possible crisis still gets the direct question
        if crisis or MessageState.RATE_LIMITED in recent:
            # The flood notice goes out once per window.
            return Turn(crisis, MessageState.RATE_LIMITED)
        return Turn([self.say.text("rate_limited")], MessageState.RATE_LIMITED)

    async def _alert_staff(
        self, client_id: str, sid: str, category: str | None, where: str
    ) -> None:
        """A crisis alert from the gateway itself (the bot never sees the message, or not in
        time), at most one per flood window (a flood of crisis texts is one crisis for staff)."""
        since = utcnow() - timedelta(seconds=self.settings.tandem_rate_limit_seconds)
        async with self.sessions() as session, session.begin():
            if await alerts.open_alert_since(session, client_id, "crisis", since):
                return
            alert = await alerts.raise_alert(
                session,
                client_id,
                "crisis",
                f"{category or 'crisis'}: crisis text {where} (gateway)",
                source="gateway",
                message_sid=sid or None,
            )
        log_event(logger, "alert_raised", logging.WARNING, alert_id=alert.id, client_id=client_id)

    async def _bot_turn(
        self,
        client_id: str,
        sid: str,
        text: str,
        judging: Awaitable[Judgement],
        waiting: bool,
    ) -> Turn:
        rasa = self.replayer.rasa
        if rasa.is_open:
            # Every Rasa process hangs or is down: she gets the fallback now, not after a
            # time-out; kept for replay.
            rasa.nudge()
            return Turn(self.say.fallback(text), MessageState.PENDING_REPLAY)
        # Earlier messages the bot missed go first, so the conversation stays in order (none
        # can start waiting meanwhile: her lock is held since `_read_her` looked).
        if waiting:
            with TURN_STEP.labels("replay").time():
                caught_up = await self.replayer.replay_client(client_id, locked=True)
            if not caught_up:
                return Turn(self.say.fallback(text), MessageState.PENDING_REPLAY)
        # A crisis, or a possible one, waits on the bot only briefly: then the gateway's own
        # crisis reply goes out, and the bot's fuller answer follows by SMS (the replay).
        with TURN_STEP.labels("judge").time():
            urgent = (await judging).level in (CRISIS, ASK)
        budget = self.settings.rasa_crisis_timeout_seconds if urgent else None
        try:
            with TURN_STEP.labels("bot").time():
                replies = await self.replayer.ask(client_id, text, sid, budget)
        except BotUnavailable as error:
            log_event(
                logger, "bot_unavailable", logging.WARNING, error=str(error), client_id=client_id
            )
            return Turn(self.say.fallback(text), MessageState.PENDING_REPLAY)
        return Turn(replies, MessageState.ANSWERED)

    async def set_opt_out(self, client_id: str, opted_out: bool, by: str, sid: str) -> None:
        change = client_status.opt_out if opted_out else client_status.opt_in
        async with self.sessions() as session, session.begin():
            await change(session, client_id, by=by, now=utcnow(), message_sid=sid or None)
