"""Tables, one module per area; importing this package registers every table on Base.metadata
(Alembic's env.py and the tests rely on it), and its names are what the code imports."""

from services.db.models.clients import Client, new_client_id
from services.db.models.directory import (
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
from services.db.models.engagement import Alert, EngagementSignal
from services.db.models.messages import Message
from services.db.models.referrals import Consent, Referral, ReferralStatusChange

__all__ = [
    "Address",
    "Alert",
    "Client",
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
    "new_client_id",
]
