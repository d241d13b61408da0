"""Unsaved form input kept on the server (:class:`~shequ_sdk.models.FormDraft`).

The entry app saves what a user has typed into a form whenever a field changes, and offers it
back when the same user opens the same form again (the same table, village, quarter and
record), until the form is saved or the draft discarded. Values are kept exactly as typed (the
text of each box), so a draft holding a mistake comes back with the same mistake to correct.

A draft belongs to one user (``user_key``: the login name, empty on a single-user installation)
and one village; reading or keeping it needs both, and the village must be within the user's
scope (checked here, like every read and write of the SDK). Fields marked sensitive (ID and phone numbers) are never
written to a draft: they are typed again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, select
from sqlmodel import Session

from .models import FormDraft, Region


@dataclass(frozen=True)
class Draft:
    values: dict[str, object]
    saved_at: dt.datetime


def user_key(user) -> str:
    """The draft owner's key: the signed-in user's login name, or "" for the single local user."""
    return "" if user is None else str(getattr(user, "username", user))


def _check_scope(session: Session, user, region_id: int) -> None:
    """Refuse a draft of a village outside the signed-in user's scope (auth.PermissionDenied)."""
    if user is None or not hasattr(user, "role"):
        return
    from .auth import check_read

    region = session.get(Region, int(region_id))
    if region is not None:
        check_read(session, user, [region])


def save(session: Session, user, form_key: str, region_id: int, values: dict[str, object],
         now: Optional[dt.datetime] = None) -> None:
    """Keep ``values`` (field name → the text or choice as entered) as the user's draft of the form."""
    _check_scope(session, user, region_id)
    now = now or dt.datetime.now(dt.timezone.utc)
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    key = user_key(user)
    row = session.execute(select(FormDraft).where(FormDraft.user_key == key, FormDraft.form_key == form_key)).scalar_one_or_none()
    if row is None:
        session.add(FormDraft(user_key=key, form_key=form_key, region_id=region_id, values_json=text, saved_at=now))
    elif row.values_json != text or row.region_id != region_id:
        row.values_json, row.region_id, row.saved_at = text, region_id, now
    session.flush()


def load(session: Session, user, form_key: str, region_id: int) -> Optional[Draft]:
    """The user's draft of the form in that village, or None."""
    _check_scope(session, user, region_id)
    row = session.execute(select(FormDraft).where(FormDraft.user_key == user_key(user), FormDraft.form_key == form_key,
                                                  FormDraft.region_id == region_id)).scalar_one_or_none()
    if row is None:
        return None
    saved = row.saved_at if row.saved_at.tzinfo else row.saved_at.replace(tzinfo=dt.timezone.utc)
    return Draft(values=json.loads(row.values_json), saved_at=saved)


def discard(session: Session, user, form_key: str) -> int:
    """Delete the user's draft of the form; the number of drafts deleted (0 or 1)."""
    result = session.execute(delete(FormDraft).where(FormDraft.user_key == user_key(user), FormDraft.form_key == form_key))
    return result.rowcount or 0
