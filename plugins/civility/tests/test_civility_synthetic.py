"""Synthetic generation on a tiny county: ratings on each township's list, awards, all marked
synthetic, valid and deterministic."""

from sqlalchemy import func, select

from shequ_sdk.demo import GenerateOptions
from shequ_plugin_civility.models import HouseholdAward, StarRating

TINY = GenerateOptions(townships=2, villages_per_township=3, households_per_village=60, years=3, seed=7)


def _summary(sdk):
    with sdk.transaction() as s:
        return {
            "ratings": s.execute(select(StarRating.year, func.count(), func.sum(StarRating.star_count)).group_by(StarRating.year)
                                 .order_by(StarRating.year)).all(),
            "awards": s.execute(select(func.count()).select_from(HouseholdAward)).scalar_one(),
            "seed_rows": s.execute(select(func.count()).select_from(StarRating).where(StarRating.synthetic.is_(False))).scalar_one(),
            "stars": s.execute(select(StarRating.stars).order_by(StarRating.id).limit(20)).scalars().all(),
        }


def test_tiny_county(sdk):
    sdk.generate(TINY)
    got = _summary(sdk)
    assert got["seed_rows"] == 0 and got["awards"] > 0
    assert [year for year, *_ in got["ratings"]] == [2018, 2019, 2020]
    problems = [p for p in sdk.check() if (p.rule or "").startswith("civility.") and p.extra.get("severity") == "error"]
    assert problems == []
    # the county's figures are the sums of its townships'
    from shequ_sdk.regions import children

    with sdk.transaction() as s:
        from shequ_sdk.regions import find_region

        towns = [t.name for t in children(s, find_region(s, "模拟县"))]
    for year in (2018, 2019, 2020):
        whole = sdk.indicator_values("模拟县", str(year), keys=["civility"])
        parts = [sdk.indicator_values(t, str(year), keys=["civility"]) for t in towns]
        for key in ("civility.households_10_star", "civility.rated_households", "civility.family_awards"):
            assert whole[key] == sum(p[key] for p in parts)


def test_generation_is_deterministic_and_sized(tmp_path):
    import shequ_sdk

    runs = []
    for n in range(2):
        s = shequ_sdk.open(str(tmp_path / f"g{n}.db"), create=True)
        s.generate(TINY)
        runs.append(_summary(s))
        s.close()
    assert runs[0] == runs[1]
