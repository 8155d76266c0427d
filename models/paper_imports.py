"""A paper file being stored, or stored: the marker that keeps a half-stored file out of sight.

A large file is stored in short transactions (a few hundred forms each), so nobody waits on the
database for seconds. Its forms are written as drafts linked to this row while `status` is
"storing"; one last short transaction makes them all submitted at once and the row "stored".
Figures and exports count submitted responses only, so a file is seen whole or not at all. An
import left "storing" (the process died) is removed by `paper_answers.clean_unfinished`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class PaperImportStatus(enum.StrEnum):
    STORING = "storing"
    STORED = "stored"


class PaperFileImport(Base):
    __tablename__ = "paper_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_sessions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=PaperImportStatus.STORING)
    forms: Mapped[int] = mapped_column(Integer)  # how many the file holds
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Touched by every stored batch: an import "storing" and untouched for long is abandoned.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
