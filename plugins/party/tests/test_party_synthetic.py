"""Synthetic generation on a tiny county: plausible, consistent, and fast."""

import time

from sqlalchemy import func, select

from shequ_sdk import Association
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_party import PartyCoverage, PartyEvaluation, PartyMobileMember, PartyOrganisation, PartyOrgProfile, PartyTalk


def test_tiny_county(sdk):
    t0 = time.perf_counter()
    sdk.generate(GenerateOptions(townships=2, villages_per_township=3, households_per_village=20, years=2))
    elapsed = time.perf_counter() - t0
    assert elapsed < 60  # every plugin together; the party part alone takes well under a second

    v = sdk.indicator_values("模拟县", "2020", keys=["party"])
    assert v["party.organisations"] > 20
    assert 0 < v["party.coverage_rate"] <= 1
    assert v["party.organisations"] >= v["party.uncovered_organisations"]
    covered = v["party.organisations"] - v["party.uncovered_organisations"]
    assert v["party.coverage_rate"] * v["party.organisations"] == covered
    assert v["party.members"] > 0 and v["party.association_members"] >= v["party.members"]
    assert v["party.excellent_share"] is None or v["party.excellent_share"] <= 1 / 3

    with sdk.transaction() as s:
        for model in (PartyOrgProfile, PartyOrganisation, PartyCoverage, PartyEvaluation, PartyMobileMember, PartyTalk):
            assert s.execute(select(func.count()).select_from(model).where(model.synthetic.is_(False))).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Association).where(Association.type_key == "social_org",
                                                                            Association.synthetic.is_(False))).scalar_one() == 0
        # 三必谈 talks: the indicator is the raw count of 2020's talks; every branch talked at some point
        talks_2020 = s.execute(select(func.count()).select_from(PartyTalk).where(func.extract("year", PartyTalk.talk_date) == 2020)).scalar_one()
        assert talks_2020 > 0 and v["party.talks"] == talks_2020
        talked = set(s.execute(select(PartyTalk.party_org_id).distinct()).scalars())
        branches = set(s.execute(select(PartyOrganisation.id).where(PartyOrganisation.kind.in_(("standalone", "joint")))).scalars())
        assert talked <= branches and len(talked) >= len(branches) // 2
        assert 0 < v["party.talk_branch_share"] <= 1
        modes = set(s.execute(select(PartyCoverage.mode).distinct()).scalars())
        assert modes <= {"standalone", "joint", "attached", "instructor"} and len(modes) >= 3

    # the data pass the write-path rules; check reports only what is meant to be there: uncovered
    # organisations (errors) and late reports or thinned branches (warnings)
    problems = [p for p in sdk.check() if (p.rule or "").startswith("party.")]
    errors = [p for p in problems if p.extra["severity"] == "error"]
    assert {p.rule for p in errors} <= {"party.coverage_required"}
    assert len(errors) == sdk.indicator_values("模拟县", "2021-03", keys=["party"])["party.uncovered_organisations"]
    assert {p.rule for p in problems if p.extra["severity"] == "warning"} <= {
        "party.mobile_overdue", "party.mobile_report_gaps", "party.branch_scope"}
