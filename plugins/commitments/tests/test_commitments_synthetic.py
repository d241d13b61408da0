"""Synthetic generation fills every village of a tiny county; the rows pass the plugin's rules
(the write path refuses anything else) and the same seed gives the same rows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import Region
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_commitments import CadreAssessment, Commitment, CommitmentComplaint, CommitmentReview, StudyDay

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def _rows(sdk, model):
    with Session(sdk.engine) as s:
        return [tuple(r) for r in s.execute(select(*model.__table__.columns).order_by(model.id))]


def test_tiny_synthetic_county(sdk, tmp_path):
    sdk.generate(TINY)
    with Session(sdk.engine) as s:
        villages = set(s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars())
        for model in (Commitment, CommitmentComplaint, CommitmentReview, CadreAssessment, StudyDay):
            filled = set(s.execute(select(model.region_id).distinct()).scalars())
            assert filled == villages, model.__tablename__
        statuses = dict(s.execute(select(Commitment.status, func.count()).group_by(Commitment.status)).all())
        assert statuses["kept"] > sum(statuses.values()) / 2 and set(statuses) <= {"ongoing", "kept", "partly", "unkept", "withdrawn"}
        county = s.execute(select(Region.name).where(Region.kind == "county")).scalar_one()
    year = str(TINY.last_year)
    values = sdk.indicator_values(county, year, keys=["commitments"])
    assert values["commitments.made"] > 0 and 0 < values["commitments.kept_rate"] <= 1
    assert values["commitments.review_coverage"] == 1.0
    errors = [p for p in sdk.check() if (p.rule or "").startswith("commitments.") and p.rule not in (
        "commitments.overdue", "commitments.reply_deadline", "commitments.study_days_monthly")]
    assert errors == []
    if sdk.url.startswith("sqlite"):  # the same seed gives the same rows
        again = shequ_sdk.open(str(tmp_path / "again.db"), create=True)
        try:
            again.generate(TINY)
            assert _rows(again, Commitment) == _rows(sdk, Commitment) and _rows(again, CommitmentReview) == _rows(sdk, CommitmentReview)
        finally:
            again.close()
