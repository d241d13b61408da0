"""The 党员承诺公开栏 (PDF text, fingerprint, verify-copy), privacy of raters and names, the
dashboard views and the entry forms, on the demo (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

import shequ_sdk
from shequ_sdk import BatchError
from shequ_sdk.boards import write_board
from shequ_sdk.demo import DEMO_TODAY
from shequ_plugin_commitments import Commitment
from shequ_plugin_commitments.models import STATUS


def test_board_prints_the_village_commitments_with_fingerprint_and_qr(demo, cli, tmp_path):
    pdf = write_board(demo, region="南洲村", period="2010", board="党员承诺", out=tmp_path / "board.pdf", today=DEMO_TODAY)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")
    rows = demo.frame("commitments_pledge", region="南洲村", period="2010", codes=True)
    assert "南洲村党员承诺公开栏" in text.replace(" ", "") and f"2010 年度党员承诺事项（共 {len(rows)} 项" in text
    assert "结对帮扶困难户" in text or "监督环卫协会" in text
    assert all(STATUS[code][0] in text for code in set(rows["status"])) and "内容指纹" in text
    assert sum(text.count(c) for c in set(rows["content"])) >= len(rows)
    fp = next(line for line in text.split("内容指纹：")[1:]).split("核对")[0].strip()
    assert len(fp) == 14 and fp.count("-") == 2
    html = write_board(demo, region="南洲村", period="2010", board="commitments", out=tmp_path / "board.html").read_text(encoding="utf-8")
    assert "<svg" in html and "shequ:commitments:" in html and "审核人" not in html  # the finance layout stays out

    code, out, err = cli("commitments", "verify-copy", "--db", demo.url, "--region", "南洲村", "--year", "2010", "--fingerprint", fp)
    assert code == 0 and "一致" in out, err
    first = rows.iloc[0]
    with demo.transaction() as s:  # the records change after printing
        row = s.get(Commitment, int(first["id"]))
        row.content = row.content + "（已改）"
    code, out, err = cli("commitments", "verify-copy", "--db", demo.url, "--region", "南洲村", "--year", "2010", "--fingerprint", fp)
    assert code == 1 and "不一致" in err

    code, out, err = cli("board", "--db", demo.url, "--region", "南洲村", "--period", "2010Q3", "--board", "党员承诺", "--out", str(tmp_path / "q.pdf"))
    assert code == 2 and err.count("\n") == 1 and "按年打印" in err
    code, out, err = cli("board", "--db", demo.url, "--region", "南县", "--period", "2010", "--board", "党员承诺", "--out", str(tmp_path / "c.pdf"))
    assert code == 2 and "按村（社区）打印" in err


def test_residents_raters_are_never_stored_or_shown(demo):
    reviews = shequ_sdk.registry().tables["commitments_review"]
    resident_columns = {f.name for f in reviews.fields if "resident" in f.name}
    assert resident_columns == {"resident_raters", "resident_score"}  # a count and a mean: no column for who rated
    assert {f.name for f in reviews.fields if f.sensitive} == {"leader_name"}
    member = demo.frame("commitments_member", region="南洲村", codes=True).iloc[0]
    row = {"region_id": int(member["region_id"]), "member_id": int(member["id"]), "year": 2009, "half": 1, "leader_score": 80,
           "peer_raters": 5, "peer_score": 80, "resident_raters": 3, "resident_score": 80, "grade": "qualified",
           "resident_rater_names": "张三、李四"}
    with pytest.raises(BatchError) as exc:
        demo.write("commitments_review", [row], today=DEMO_TODAY)
    assert [(p.field, p.row) for p in exc.value.problems] == [("resident_rater_names", 1)]
    # members' names leave the SDK masked; complaints' texts too
    names = demo.frame("commitments_member", region="南县")["name"].tolist()
    assert names and all("*" in n for n in names)
    assert set(demo.frame("commitments_complaint", region="南县")["summary"]) == {"***"}


def test_views_render_masked(demo):
    from shequ_sdk.ui import DataStore
    from shequ_plugin_commitments.views import complaints_by_outcome, kept_by_village, member_cards

    town = DataStore(sdk=demo, region="南县", period="2010")
    chart = kept_by_village(town)
    places = list(chart.data["place"])
    assert places[-1] == "南县（合计）" and {"南洲村", "新尚村社区"} <= set(places)
    assert chart.data["rate"].iloc[-1] == pytest.approx(100 * demo.indicator_values("南县", "2010", keys=["commitments.kept_rate"])
                                                        ["commitments.kept_rate"], abs=0.05)
    outcomes = complaints_by_outcome(town)
    assert int(outcomes.data["n"].sum()) == len(demo.frame("commitments_complaint", region="南县", period="2010"))
    cards = member_cards(DataStore(sdk=demo, region="南洲村", period="2010")).object
    full = demo.frame("commitments_member", region="南洲村")  # masked, as the page shows them
    assert cards.count('class="shequ-member-card"') == len(full)
    assert all(name in cards for name in full["name"]) and "三评" in cards


def test_entry_forms_save_a_commitment_and_a_feedback_entry(demo):
    from shequ_sdk.ui import BatchForm, DataStore, RecordForm
    from shequ_sdk.ui.entry import entry_tables

    keys = {rt.key for rt in entry_tables()}
    assert {"commitments_pledge", "commitments_feedback", "commitments_complaint", "commitments_review", "commitments_cadre_assessment",
            "commitments_study_day", "commitments_member"} <= keys
    store = DataStore(sdk=demo, region="新尚村社区", period="2011Q1")
    form = RecordForm(store=store, table="commitments_pledge")
    members = form.inputs["member_id"].widget.options
    label = next(k for k in members if "党支部书记" in k)  # masked name with the post
    values = {"member_id": members[label], "year": 2011, "content": "每月巡查垃圾清运", "concern": "村容环境卫生", "target_kind": "quantity",
              "target_number": 12, "target_unit": "次", "due_date": dt.date(2011, 12, 31), "posted_at": "党员承诺公开栏",
              "posted_on": dt.date(2011, 3, 1), "status": "ongoing"}
    for name, value in values.items():
        form.inputs[name].widget.value = value
    assert BatchForm(store=store, forms=[form]).save() == 1
    saved = demo.frame("commitments_pledge", region="新尚村社区", period="2011", codes=True)
    assert saved["content"].tolist() == ["每月巡查垃圾清运"]

    feedback = RecordForm(store=DataStore(sdk=demo, region="新尚村社区", period="2011Q1"), table="commitments_feedback")
    options = feedback.inputs["commitment_id"].widget.options
    choice = next(k for k in options if k.startswith("每月巡查垃圾清运"))
    for name, value in {"commitment_id": options[choice], "feedback_date": dt.date(2011, 3, 20), "done": "巡查 3 次并记录",
                        "progress_number": 3, "evidence": "巡查记录本"}.items():
        feedback.inputs[name].widget.value = value
    assert BatchForm(store=store, forms=[feedback]).save() == 1
    assert demo.frame("commitments_feedback", region="新尚村社区", where={"commitment_id": int(saved["id"].iloc[0])})["done"].tolist() \
        == ["巡查 3 次并记录"]


def test_spreadsheet_template_round_trip_for_study_days(demo, tmp_path):
    import openpyxl

    from shequ_sdk import spreadsheets as xl
    from shequ_sdk.excel.template import FIRST_DATA_ROW, HEADER_ROW

    out = xl.write_template_for(demo, "commitments_study_day", region="新尚村社区", period="2011", out=tmp_path / "学习日.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    head = {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, j).value}
    assert {"学习日期", "学习内容", "参加人数", "缺席人数"} <= set(head)
    existing = len(demo.frame("commitments_study_day", region="新尚村社区", period="2011"))
    row = FIRST_DATA_ROW + existing  # the template lists the rows already entered first
    for label, value in {"学习日期": dt.date(2011, 3, 28), "学习内容": "学习两会精神", "参加人数": 7, "缺席人数": 1}.items():
        ws.cell(row, head[label]).value = value
    wb.save(out)
    result = xl.import_file(demo, out, today=DEMO_TODAY)
    assert result.ok, result.report_lines()
    assert result.new == 1
    saved = demo.frame("commitments_study_day", region="新尚村社区", where={"topic": "学习两会精神"})
    assert saved["attendees"].tolist() == [7]
