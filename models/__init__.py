"""SQLAlchemy models and the queries over them.

Queries never commit: the caller owns the transaction.
"""

from models.base import Base, utcnow
from models.conference import (
    Commitment,
    CommitmentStatus,
    Conclusion,
    Conference,
    ConferenceItem,
    Delegate,
    DelegateGroup,
    Origin,
    Outcome,
    QuestionSupport,
    Reply,
)
from models.conversations import ConversationState, InboundMessage
from models.deliveries import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
)
from models.draft_attachments import DraftAttachment
from models.paper_imports import PaperFileImport, PaperImportStatus
from models.questions import (
    CodeCounter,
    QuestionAttachment,
    QuestionStatus,
    Reclassified,
    ResidentQuestion,
)
from models.residents import Account, Consent, Resident
from models.responses import Answer, ResponseStatus, SurveyResponse
from models.sessions import DialogueSession, SessionStatus
from models.staff import AuditEntry, StaffMember
from models.web import SignInCode, SignInFailures, WebChatMessage, WebSession

__all__ = [
    "Account",
    "Answer",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastKind",
    "BroadcastStatus",
    "CodeCounter",
    "Commitment",
    "CommitmentStatus",
    "Conclusion",
    "Conference",
    "ConferenceItem",
    "Consent",
    "ConversationState",
    "Delegate",
    "DelegateGroup",
    "Delivery",
    "DeliveryStatus",
    "DialogueSession",
    "DraftAttachment",
    "InboundMessage",
    "Origin",
    "Outcome",
    "PaperFileImport",
    "PaperImportStatus",
    "QuestionAttachment",
    "QuestionStatus",
    "QuestionSupport",
    "Reclassified",
    "Reply",
    "Resident",
    "ResidentQuestion",
    "ResponseStatus",
    "SessionStatus",
    "SignInCode",
    "SignInFailures",
    "StaffMember",
    "SurveyResponse",
    "WebChatMessage",
    "WebSession",
    "utcnow",
]
