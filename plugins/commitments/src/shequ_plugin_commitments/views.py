"""Dashboard views of the commitments plugin.

- ``commitments.kept_by_village`` (township chart): the kept rate of each village beside the
  area's own rate — the plugin's indicator ``commitments.kept_rate``, so every bar is Σ kept ÷
  Σ due, the area's included.
- ``commitments.complaints_by_outcome`` (township chart): the period's complaints and comments by
  outcome (not yet replied counted apart). Only the outcome column is read.
- ``commitments.member_cards`` (village page): each member's commitments, feedback and latest
  grades. Names come through the store's frames, which mask them for roles that may not see
  them; residents' raters are never stored, so never shown.
"""

from __future__ import annotations

from shequ_sdk import View, hookimpl

from .models import CADRE_GRADES, OUTCOMES, REVIEW_GRADES, STATUS


def kept_by_village(store):
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, display_number, message

    key = "commitments.kept_rate"
    ind = store.indicator(key)
    wide = store.village_indicators([key])
    area = store.indicator_values([key]).get(key)
    rows = []
    if store.region_obj.kind not in ("village", "community") and key in wide.columns:  # an area without villages has no column
        rows = [{"place": str(n), "rate": display_number(ind, v)} for n, v in zip(wide["region_name"], wide[key]) if v is not None and v == v]
    if area is not None:
        rows.append({"place": f"{store.region}（合计）" if store.lang == "zh" else f"{store.region} (total)", "rate": display_number(ind, area)})
    if not rows:
        return message(store.t("no_data"))
    title = (f"{store.period_obj.label('zh')}承诺兑现率：各村与{store.region}" if store.lang == "zh"
             else f"Commitments kept, {store.period_obj.label('en')}: villages and {store.region}")
    return bar_chart(pd.DataFrame(rows), "place", "rate", x_label="村（社区）" if store.lang == "zh" else "Village",
                     y_label="兑现率（%）" if store.lang == "zh" else "Kept (%)", title=title, color="#b71c1c").opts(ylim=(0, 105), xrotation=45)


def complaints_by_outcome(store):
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, message

    lang = store.lang
    df = store.frame("commitments_complaint", columns=["outcome"], codes=True)
    if df.empty:
        return message(store.t("no_data"))
    counts = df["outcome"].fillna("pending").value_counts()
    labels = dict(OUTCOMES, pending=("未答复", "not yet replied"))
    rows = [{"outcome": labels[c][0 if lang == "zh" else 1], "n": int(counts.get(c, 0))} for c in labels if counts.get(c, 0)]
    total = sum(r["n"] for r in rows)
    title = (f"{store.region} {store.period_obj.label('zh')}投诉意见核实结果（共 {total} 件）" if lang == "zh"
             else f"Complaints and comments by outcome, {store.region} {store.period_obj.label('en')} ({total})")
    return bar_chart(pd.DataFrame(rows), "outcome", "n", x_label="核实结果" if lang == "zh" else "Outcome",
                     y_label="件数" if lang == "zh" else "Entries", title=title, color="#6d4c41")


def member_cards(store):
    """One card per member of the village: commitments by status, feedback entries, latest grades."""
    import html

    import panel as pn

    from shequ_sdk.ui.charts import message

    zh = store.lang == "zh"
    if store.region_obj.kind not in ("village", "community"):
        return message("选择一个村（社区）查看党员承诺卡片" if zh else "Pick a village to see the members' cards")
    members = store.frame("commitments_member", period=None, columns=["id", "name", "post", "is_party_member", "is_cadre"], codes=True)
    if members.empty:
        return message(store.t("no_data"))
    year = store.period_obj.year
    commitments = store.frame("commitments_pledge", period=str(year), columns=["id", "member_id", "content", "status"], codes=True)
    feedback = store.frame("commitments_feedback", period=str(year), columns=["commitment_id"], codes=True)
    reviews = store.frame("commitments_review", period=str(year), columns=["member_id", "half", "score", "grade"], codes=True)
    cadre = store.frame("commitments_cadre_assessment", period=str(year), columns=["member_id", "score", "grade"], codes=True)
    fb = feedback["commitment_id"].value_counts().to_dict() if not feedback.empty else {}
    cards = []
    for m in members.itertuples():
        mine = commitments[commitments["member_id"] == m.id] if not commitments.empty else commitments
        counts = mine["status"].astype(str).value_counts() if not mine.empty else {}
        statuses = "、".join(f"{STATUS[code][0 if zh else 1]} {int(counts[code])}" for code in STATUS if code in counts and counts[code]) or "—"
        items = "".join(f"<li>{html.escape(str(c.content))}（{STATUS[c.status][0 if zh else 1]}，"
                        f"{'反馈' if zh else 'feedback'} {int(fb.get(c.id, 0))}）</li>" for c in mine.itertuples())
        grades = []
        if not reviews.empty:
            for r in reviews[reviews["member_id"] == m.id].sort_values("half", na_position="first").itertuples():
                when = ("全年" if zh else "year") if r.half != r.half or r.half is None else (("上半年", "下半年")[int(r.half) - 1] if zh else f"H{int(r.half)}")
                grades.append(f"{'三评' if zh else 'review'} {when}：{REVIEW_GRADES[r.grade][0 if zh else 1]}（{r.score:g}）")
        if not cadre.empty:
            for r in cadre[cadre["member_id"] == m.id].itertuples():
                grades.append(f"{'德能勤绩廉' if zh else 'cadre assessment'}：{CADRE_GRADES[r.grade][0 if zh else 1]}（{r.score:g}）")
        role = "、".join(x for x, on in (("党员" if zh else "Party member", m.is_party_member), ("干部" if zh else "cadre", m.is_cadre)) if on)
        cards.append(
            f'<div class="shequ-member-card" data-member="{int(m.id)}"><div class="who"><b>{html.escape(str(m.name))}</b> '
            f'{html.escape(str(m.post or ""))} · {html.escape(role)}</div>'
            f'<div class="sum">{year} {"年承诺" if zh else "commitments"}：{html.escape(statuses)}</div>'
            f'<ul>{items}</ul><div class="grades">{html.escape("；".join(grades) or ("尚无评议" if zh else "not yet reviewed"))}</div></div>')
    style = ("<style>.shequ-member-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px}"
             ".shequ-member-card{background:#fff;border:1px solid #e0e0e0;border-left:4px solid #b71c1c;border-radius:4px;padding:8px 10px;font-size:13px}"
             ".shequ-member-card ul{margin:4px 0 4px 18px;padding:0}.shequ-member-card .grades{color:#555}</style>")
    return pn.pane.HTML(style + f'<div class="shequ-member-cards">{"".join(cards)}</div>', sizing_mode="stretch_width")


@hookimpl
def register_views(register):
    register(View(key="commitments.kept_by_village", label_zh="承诺兑现率（各村）", label_en="Commitments kept by village",
                  render=kept_by_village, placement="chart", order=110))
    register(View(key="commitments.complaints_by_outcome", label_zh="投诉意见核实结果", label_en="Complaints by outcome",
                  render=complaints_by_outcome, placement="chart", order=111))
    register(View(key="commitments.member_cards", label_zh="党员承诺卡片", label_en="Members' commitment cards",
                  render=member_cards, placement="village", order=110))
