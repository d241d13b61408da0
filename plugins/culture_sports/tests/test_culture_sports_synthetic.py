"""Synthetic generation on a tiny county: every village gets its association, libraries with
year-end stocktakes, activities and loans, all marked synthetic, deterministic and valid."""

from sqlalchemy import func, select

from shequ_sdk import Association, Region
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_culture_sports.models import Activity, Library, LibraryStock, Loan

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def _summary(sdk):
    with sdk.transaction() as s:
        out = {m.__tablename__: (s.execute(select(func.count()).select_from(m)).scalar_one(),
                                 s.execute(select(func.count()).select_from(m).where(m.synthetic.is_(True))).scalar_one())
               for m in (Library, LibraryStock, Loan, Activity)}
        out["books"] = s.execute(select(func.sum(Library.books))).scalar_one()
        out["participants"] = s.execute(select(func.sum(Activity.participants))).scalar_one()
        out["associations"] = s.execute(select(func.count()).select_from(Association).where(Association.type_key == "culture_sports")).scalar_one()
        out["villages"] = s.execute(select(func.count()).select_from(Region).where(Region.kind.in_(("village", "community")))).scalar_one()
    return out


def test_tiny_county(sdk):
    sdk.generate(TINY)
    got = _summary(sdk)
    assert got["associations"] == got["villages"] == 3
    for table in ("culture_sports_library", "culture_sports_activity", "culture_sports_library_stock"):
        total, synthetic = got[table]
        assert total > 0 and synthetic == total, table
    years = sdk.indicator_values("模拟县", "2020", keys=["culture"])
    assert years["culture.libraries"] >= 3 and years["culture.library_books"] > 3000 and years["culture.activities"] >= 9
    errors = [p for p in sdk.check() if (p.rule or "").startswith("culture_sports.") and p.extra.get("severity") == "error"]
    assert errors == []


def test_generation_is_deterministic(tmp_path):
    import shequ_sdk

    runs = []
    for n in range(2):
        s = shequ_sdk.open(str(tmp_path / f"g{n}.db"), create=True)
        s.generate(TINY)
        runs.append(_summary(s))
        s.close()
    assert runs[0] == runs[1]
