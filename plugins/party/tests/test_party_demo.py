"""The demo reproduces seed article 1 (宜城市, 2010) exactly."""

import json

from sqlalchemy import func, select

from shequ_sdk import Association
from shequ_sdk.demo import DEMO_TODAY
from shequ_plugin_party import (
    PartyActivity, PartyCoverage, PartyEvaluation, PartyMobileMember, PartyOrganisation, PartyOrgProfile,
)

SEED = {
    "party.organisations": 177, "party.members": 725, "party.association_members": 1546,
    "party.standalone_branches": 28, "party.joint_branches": 19, "party.joint_branch_organisations": 43,
    "party.attached_groups": 41, "party.instructors": 65, "party.instructor_organisations": 65,
    "party.uncovered_organisations": 0, "party.coverage_rate": 1.0,
    "party.unions": 19, "party.youth_leagues": 41, "party.womens_organisations": 23,
}


def _mode_of(s, name):
    aid = s.execute(select(Association.id).where(Association.name == name)).scalar_one()
    cov = s.execute(select(PartyCoverage).where(PartyCoverage.association_id == aid)).scalars().all()
    assert len(cov) == 1, name
    return aid, cov[0]


def test_demo_reproduces_article_one(demo, cli):
    values = demo.indicator_values("宜城市", "2010", keys=["party", "core.associations"])
    assert {k: values[k] for k in SEED} == SEED
    assert values["core.associations"] == 177
    assert 0 < values["party.excellent_share"] <= 1 / 3

    code, out, _ = cli("indicators", "--db", demo.url, "--region", "宜城市", "--period", "2010", "--json")
    assert code == 0
    printed = json.loads(out)
    assert {k: printed[k] for k in SEED} == SEED

    with demo.transaction() as s:
        # every organisation is covered by exactly one mode, and the modes add up to 177
        per_org = s.execute(select(PartyCoverage.association_id, func.count()).group_by(PartyCoverage.association_id)).all()
        assert len(per_org) == 177 and all(n == 1 for _, n in per_org)
        modes = dict(s.execute(select(PartyCoverage.mode, func.count()).group_by(PartyCoverage.mode)).all())
        assert modes == {"standalone": 28, "joint": 43, "attached": 41, "instructor": 65}

        # the organisations the article names, with the modes it gives them
        for name in ("老体协", "驾协"):
            assert _mode_of(s, name)[1].mode == "standalone"
        joint = {_mode_of(s, n)[1].party_org_id for n in ("作协", "美协", "书协")}
        assert len(joint) == 1 and _mode_of(s, "作协")[1].mode == "joint"
        assert {_mode_of(s, n)[1].mode for n in ("农学会", "林学会")} == {"attached"}
        assert _mode_of(s, "台胞联谊会")[1].mode == "instructor"
        named = s.execute(select(Association.name).where(Association.synthetic.is_(False), Association.type_key == "social_org")).scalars().all()
        assert {"老体协", "驾协", "作协", "美协", "书协", "农学会", "林学会", "台胞联谊会", "粮油协会", "慈善会", "太极拳协会"} <= set(named)
        assert s.execute(select(func.count()).select_from(Association).where(Association.type_key == "social_org",
                                                                              Association.synthetic.is_(True))).scalar_one() == 177 - len(named)

        # 单独建 means 3 or more Party members among the staff; no other organisation reaches 3
        staff_party = dict(s.execute(select(PartyCoverage.mode, func.min(PartyOrgProfile.staff_party_members))
                                     .join(PartyOrgProfile, PartyOrgProfile.association_id == PartyCoverage.association_id)
                                     .where(PartyCoverage.mode == "standalone").group_by(PartyCoverage.mode)).all())
        assert staff_party["standalone"] >= 3
        others = s.execute(select(func.max(PartyOrgProfile.staff_party_members))
                           .join(PartyCoverage, PartyOrgProfile.association_id == PartyCoverage.association_id)
                           .where(PartyCoverage.mode != "standalone")).scalar_one()
        assert others < 3
        assert s.execute(select(func.min(PartyOrgProfile.party_members)).join(
            Association, Association.id == PartyOrgProfile.association_id).where(Association.name == "老年书协")).scalar_one() >= 6

        # joint branches: 19, covering 43 organisations, at least two each
        sizes = s.execute(select(func.count()).select_from(PartyCoverage).where(PartyCoverage.mode == "joint")
                          .group_by(PartyCoverage.party_org_id)).scalars().all()
        assert len(sizes) == 19 and sum(sizes) == 43 and min(sizes) >= 2

        # the services the article reports
        acts = {(a.kind, a.association_id): a for a in s.execute(select(PartyActivity)).scalars()}
        loans = acts[("loan_guarantee", _mode_of(s, "粮油协会")[0])]
        assert (loans.beneficiaries, loans.amount_fen, loans.amount_at_least) == (330, 2_000_000_000, True)
        assert acts[("charity", _mode_of(s, "慈善会")[0])].amount_fen == 100_000_000
        assert acts[("fitness", _mode_of(s, "太极拳协会")[0])].sites == 7
        assert s.execute(select(func.count()).select_from(PartyMobileMember)).scalar_one() == 12
        evaluated = s.execute(select(func.count()).select_from(PartyEvaluation).where(PartyEvaluation.year == 2010)).scalar_one()
        branch_members = s.execute(select(func.sum(PartyOrganisation.party_members)).where(PartyOrganisation.kind != "attached")).scalar_one()
        assert evaluated == branch_members

    # the demo passes every party rule on the demo's own "today"
    problems = [p for p in demo.check(today=DEMO_TODAY) if (p.rule or "").startswith("party.")]
    assert problems == []
