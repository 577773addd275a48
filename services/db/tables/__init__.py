"""Tables, one module per area; importing this package registers every table on Base.metadata
(Alembic's env.py and the tests rely on it), and its names are what the code imports."""

from services.db.tables.checkins import CheckIn
from services.db.tables.clients import Client, new_client_id
from services.db.tables.directory import (
    Address,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCode,
    ServiceFeature,
    ServiceSearch,
)
from services.db.tables.engagement import Alert, EngagementSignal
from services.db.tables.messages import Message
from services.db.tables.notes import ClientNote
from services.db.tables.referrals import Consent, Referral, ReferralStatusChange
from services.db.tables.staff import ROLES, AuditEvent, SetPasswordLink, StaffAccount
from services.db.tables.stage_messages import StageMessage

__all__ = [
    "ROLES",
    "Address",
    "Alert",
    "AuditEvent",
    "CheckIn",
    "Client",
    "ClientNote",
    "Consent",
    "EngagementSignal",
    "Location",
    "Message",
    "Organization",
    "Phone",
    "Referral",
    "ReferralStatusChange",
    "Schedule",
    "Service",
    "ServiceAtLocation",
    "ServiceCode",
    "ServiceFeature",
    "ServiceSearch",
    "SetPasswordLink",
    "StageMessage",
    "StaffAccount",
    "new_client_id",
]
