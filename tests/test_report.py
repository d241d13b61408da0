"""The township dashboard printed as an A4 PDF (``shequ_sdk.report``, ``shequ report``): the
area, period and printing day, every headline card with the value ``shequ indicators`` prints,
every village in the disclosure heatmap and in the village table (on landscape pages), and
nothing internal (no ids, no fen)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from shequ_sdk.testing import printed_indicators

pypdf = pytest.importorskip("pypdf")

A4 = (595, 842)
TODAY = dt.date(2011, 3, 2)


def read(data: bytes):
    """``(pages as (width, height, text))`` of a PDF."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height)), p.extract_text()) for p in reader.pages]


def villages_of(sdk, area: str) -> list[str]:
    regions = sdk.regions_frame()
    current = regions[(regions["level"].astype(str) == "village") & regions["valid_to"].isna()]
    place = sdk.region(area)
    inside = current[(current["township_id"] == place.id) | (current["county_id"] == place.id)]
    return sorted(inside["name"])


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_clean(text: str) -> None:
    assert not re.search(r"#\d", text), "an internal id is printed"
    assert not re.search(r"\bfen\b|_fen|region_id", text, re.IGNORECASE), "fen or an internal column is printed"


@pytest.mark.parametrize("area, period, period_label", [("茅草街镇", "2010", "2010年"), ("南县", "2010Q4", "2010年第4季度")])
def test_the_printed_dashboard_holds_the_cards_heatmap_and_every_village(demo, backend_url, cli, area, period, period_label):
    from shequ_sdk.report import TABLE_COLUMNS, dashboard_pdf
    from shequ_sdk.ui import DataStore

    pages = read(dashboard_pdf(demo, area, period, today=TODAY))
    assert all((w, h) in (A4, A4[::-1]) for w, h, _ in pages)
    assert pages[0][:2] == A4  # portrait first
    text = "\n".join(t for _, _, t in pages)
    first = squeeze(pages[0][2])
    assert f"乡镇看板·{area}·{period_label}" in first and "打印日期：2011-03-02" in first
    check_clean(text)

    # every headline card: its label, then the value exactly as `shequ indicators` prints it
    printed = printed_indicators(cli, backend_url, area, period)
    store = DataStore(sdk=demo, region=area, period=period)
    keys = store.headline_keys()
    assert len(keys) >= 15
    flat = squeeze(text)
    for key in keys:
        label = store.indicator(key).label("zh")
        assert squeeze(label + printed[key]) in flat, (key, label, printed[key])
    money = [k for k in keys if store.indicator(k).value_type == "money"]
    assert money and all(re.fullmatch(r"[\d,]+\.\d\d元", squeeze(printed[k])) for k in money)

    # every village: in the heatmap (portrait, before the table) and in each landscape table page
    villages = villages_of(demo, area)
    portrait = "".join(squeeze(t) for w, h, t in pages if (w, h) == A4)
    landscape = [squeeze(t) for w, h, t in pages if (w, h) == A4[::-1]]
    assert "2010年各村三栏公开情况（按季度）" in portrait
    assert landscape, "the village table is on landscape pages"
    table_text = "".join(landscape)
    tables = -(-len(keys) // TABLE_COLUMNS)  # the indicators split over this many tables
    for name in villages:
        assert name in portrait, name
        assert table_text.count(name) >= tables, name  # the village's name begins its row in each table
    for key in keys:  # every headline indicator has its column
        assert squeeze(store.indicator(key).label("zh")) in table_text, key
    assert all("村/社区" in page for page in landscape)  # the header row repeats on each page


def test_the_english_version_has_english_labels(demo):
    from shequ_sdk.report import dashboard_pdf
    from shequ_sdk.ui import DataStore

    pages = read(dashboard_pdf(demo, "茅草街镇", "2010", lang="en", today=TODAY))
    text = "\n".join(t for _, _, t in pages)
    flat = squeeze(text)
    assert "Township dashboard" in text and "Printed on: 2011-03-02" in text and "Headline indicators" in text
    assert "核心指标" not in text and "打印日期" not in text
    store = DataStore(sdk=demo, region="茅草街镇", period="2010", lang="en")
    for key in store.headline_keys():
        assert squeeze(store.indicator(key).label("en")) in flat, key
    assert "Disclosure boards by quarter, 2010" in text
    check_clean(text)


def test_a_township_user_cannot_print_another_township(demo):
    from shequ_sdk.auth import add_user
    from shequ_sdk.errors import PermissionDenied
    from shequ_sdk.report import dashboard_html

    with demo.transaction() as s:
        add_user(s, "maocao", role="township", region="茅草街镇", password="春耕秋收2010")
    user = demo.login("maocao", "春耕秋收2010")
    assert "茅草街镇" in dashboard_html(user, "茅草街镇", "2010")
    others = [r.name for r in demo.regions_frame().itertuples() if str(r.level) == "township" and r.name != "茅草街镇"]
    with pytest.raises(PermissionDenied):
        dashboard_html(user, others[0], "2010")


def test_shequ_report_writes_the_pdf_and_names_a_bad_area(demo, backend_url, cli, tmp_path):
    out = tmp_path / "report.pdf"
    code, stdout, stderr = cli("report", "--db", backend_url, "--area", "茅草街镇", "--period", "2010", "--out", str(out))
    assert code == 0, stderr
    assert "正在生成" in stderr and str(out) in stdout
    text = "".join(t for _, _, t in read(out.read_bytes()))
    assert all(name in text for name in villages_of(demo, "茅草街镇"))

    code, stdout, stderr = cli("report", "--db", backend_url, "--area", "不存在镇", "--period", "2010", "--out", str(tmp_path / "x.pdf"))
    lines = [line for line in stderr.splitlines() if "错误" in line]
    assert code != 0 and len(lines) == 1 and "不存在镇" in lines[0] and "unknown region" in lines[0]
    assert "Traceback" not in stderr and not (tmp_path / "x.pdf").exists()

    code, _, stderr = cli("report", "--db", backend_url, "--area", "茅草街镇", "--period", "2010Q9", "--out", str(tmp_path / "y.pdf"))
    assert code != 0 and "2010Q9" in stderr and "Traceback" not in stderr
