"""One module per table; importing this package registers them all on ``Base.metadata``."""

from statusping.storage.models.alert_event import AlertEvent
from statusping.storage.models.api_key import ApiKey
from statusping.storage.models.auth_failure import AuthFailure
from statusping.storage.models.automatic_incident_update import AutomaticIncidentUpdate
from statusping.storage.models.base import Base
from statusping.storage.models.billing_account import BillingAccount
from statusping.storage.models.billing_event import BillingEvent
from statusping.storage.models.channel import Channel
from statusping.storage.models.check_error import CheckError
from statusping.storage.models.check_result import CheckResult
from statusping.storage.models.delivery import Delivery
from statusping.storage.models.delivery_attempt import DeliveryAttempt
from statusping.storage.models.incident import Incident
from statusping.storage.models.invitation import Invitation
from statusping.storage.models.lease import Lease
from statusping.storage.models.maintenance import Maintenance
from statusping.storage.models.membership import Membership
from statusping.storage.models.monitor import Monitor
from statusping.storage.models.monitor_alert_state import MonitorAlertState
from statusping.storage.models.monitor_change import MonitorChange
from statusping.storage.models.monitor_channel import MonitorChannel
from statusping.storage.models.monitor_pause import MonitorPause
from statusping.storage.models.organization import Organization
from statusping.storage.models.password_reset import PasswordResetToken
from statusping.storage.models.ping import Ping
from statusping.storage.models.region import Region
from statusping.storage.models.region_schedule import RegionSchedule
from statusping.storage.models.region_worker import RegionWorker
from statusping.storage.models.rollup import DailyRollup, HourlyRollup
from statusping.storage.models.session import UserSession
from statusping.storage.models.status_incident import StatusIncident, StatusIncidentUpdate
from statusping.storage.models.status_page import StatusPage, StatusPageSlug
from statusping.storage.models.status_page_component import StatusPageComponent
from statusping.storage.models.subscriber import Subscriber
from statusping.storage.models.two_factor import TwoFactor
from statusping.storage.models.two_factor_recovery_code import RecoveryCode
from statusping.storage.models.user import User

__all__ = [
    "AlertEvent",
    "ApiKey",
    "AuthFailure",
    "AutomaticIncidentUpdate",
    "Base",
    "BillingAccount",
    "BillingEvent",
    "Channel",
    "CheckError",
    "CheckResult",
    "DailyRollup",
    "Delivery",
    "DeliveryAttempt",
    "HourlyRollup",
    "Incident",
    "Invitation",
    "Lease",
    "Maintenance",
    "Membership",
    "Monitor",
    "MonitorAlertState",
    "MonitorChange",
    "MonitorChannel",
    "MonitorPause",
    "Organization",
    "PasswordResetToken",
    "Ping",
    "RecoveryCode",
    "Region",
    "RegionSchedule",
    "RegionWorker",
    "StatusIncident",
    "StatusIncidentUpdate",
    "StatusPage",
    "StatusPageComponent",
    "StatusPageSlug",
    "Subscriber",
    "TwoFactor",
    "User",
    "UserSession",
]
