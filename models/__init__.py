"""SQLAlchemy models and the queries over them.

Queries never commit: the caller owns the transaction.
"""

from models.base import Base, utcnow
from models.conversations import ConversationState, InboundMessage
from models.residents import Account, Consent, Resident
from models.responses import Answer, ResponseStatus, SurveyResponse
from models.sessions import DialogueSession, SessionStatus

__all__ = [
    "Account",
    "Answer",
    "Base",
    "Consent",
    "ConversationState",
    "DialogueSession",
    "InboundMessage",
    "Resident",
    "ResponseStatus",
    "SessionStatus",
    "SurveyResponse",
    "utcnow",
]

# Questions and staff (issue 4).
from models.questions import (
    CodeCounter,
    QuestionAttachment,
    QuestionStatus,
    ResidentQuestion,
)
from models.staff import AuditEntry, StaffMember

__all__ += [
    "AuditEntry",
    "CodeCounter",
    "QuestionAttachment",
    "QuestionStatus",
    "ResidentQuestion",
    "StaffMember",
]
