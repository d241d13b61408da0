"""Dashboard views of the decisions plugin.

- ``decisions.matter_timeline`` (village page): each matter of the village and period as a
  timeline of its six steps (提议 → 商议 → 审议 → 决议 → 决议公开 → 实施结果公开), with
  attendance and votes; a disclosure made after the township's deadline, or still missing past
  it, is highlighted as late.
- ``decisions.sanzi_summary`` (township dashboard and village page): the 三资 figures of each
  village of the area and of the area as a whole — assets and their value, contract income due
  and received, the collection rate and overdue payments — from the plugin's indicators.

Both read only through the store (``store.frame``, ``store.village_indicators``), so a user
sees what their scope allows; contract parties are never shown.
"""

from __future__ import annotations

import datetime as dt
import html

from shequ_sdk import View, hookimpl

from . import settings as S
from .models import BODIES, CATEGORIES, RESULTS, STEP_ORDER, STEPS

SANZI_KEYS = ("decisions.assets", "decisions.assets_value", "decisions.contract_income_due", "decisions.contract_income_received",
              "decisions.contract_collection_rate", "decisions.overdue_payments")


def timeline_items(matter: dict, steps: dict[str, dict], days: int, today: dt.date) -> list[dict]:
    """The six steps of one matter as the timeline shows them: ``{"step", "date", "state", "due"}``,
    ``state`` one of ``done``, ``late``, ``overdue`` (missing past its deadline), ``failed`` (not
    passed), ``pending``. Plain values in, plain values out: the view and its test share it."""
    out = []
    resolution = steps.get("resolution")
    decided = resolution["held_on"] if resolution is not None and resolution.get("result") == "passed" else None
    for code in STEP_ORDER:
        s = steps.get(code)
        due = None
        if code == "resolution_disclosure" and decided is not None:
            due = S.disclosure_due(decided, days)
        elif code == "result_disclosure" and decided is not None and matter.get("completed_on") is not None:
            due = S.disclosure_due(matter["completed_on"], days)
        if s is None:
            state = "overdue" if due is not None and due < today else "pending"
            out.append({"step": code, "date": None, "state": state, "due": due, "row": None})
            continue
        state = "done"
        if s.get("result") == "rejected":
            state = "failed"
        elif due is not None and s["held_on"] > due:
            state = "late"
        out.append({"step": code, "date": s["held_on"], "state": state, "due": due, "row": s})
    return out


def _nz(v):
    return None if v is None or v != v else v


def _day(v):
    v = _nz(v)
    if v is None:
        return None
    return v.date() if isinstance(v, dt.datetime) else v  # pandas gives Timestamps


STATE_LABELS = {"done": ("已完成", "done"), "late": ("逾期", "late"), "overdue": ("逾期未办", "overdue"), "failed": ("未通过", "not passed"),
                "pending": ("未进行", "not yet")}


def _meeting_line(row: dict, zh: bool) -> str:
    comma, semi = ("，", "；") if zh else (", ", "; ")
    parts = []
    if _nz(row.get("body")):
        parts.append(BODIES[row["body"]][0 if zh else 1])
    if _nz(row.get("present")) is not None and _nz(row.get("expected")) is not None:
        parts.append(f"{'应到' if zh else 'entitled'} {int(row['expected'])}{comma}{'实到' if zh else 'present'} {int(row['present'])}")
    if _nz(row.get("households_present")) is not None:
        parts.append(f"{'户代表' if zh else 'households'} {int(row['households_present'])}/{int(row['households_total'])}")
    if _nz(row.get("votes_for")) is not None:
        against = _nz(row.get("votes_against"))
        parts.append(f"{'赞成' if zh else 'for'} {int(row['votes_for'])}"
                     + (f"{comma}{'反对' if zh else 'against'} {int(against)}" if against is not None else ""))
    if _nz(row.get("result")):
        parts.append(RESULTS[row["result"]][0 if zh else 1])
    if _nz(row.get("channel")):
        parts.append(str(row["channel"]))
    return semi.join(parts)


def timeline_html(store) -> str:
    """The village's matters of the period as timelines (HTML), or ``""`` when there are none."""
    from shequ_sdk import config

    zh = store.lang == "zh"
    matters = store.frame("decisions_matter", columns=["id", "title", "category", "amount_fen", "proposed_on", "completed_on"], codes=True)
    if matters.empty:
        return ""
    steps = store.frame("decisions_step", period=None, where={"matter_id": [int(i) for i in matters["id"]]}, codes=True,
                        columns=["matter_id", "step", "held_on", "body", "expected", "present", "households_total", "households_present",
                                 "votes_for", "votes_against", "result", "channel"])
    with store.transaction() as s:
        days = int(config.get(s, S.DISCLOSURE_DAYS, store.region_obj))
    today = store.as_of or dt.date.today()
    by_matter: dict[int, dict] = {}
    for r in steps.to_dict("records"):
        r["held_on"] = _day(r["held_on"])
        by_matter.setdefault(int(r["matter_id"]), {})[r["step"]] = r
    cards = []
    for m in matters.sort_values("proposed_on").to_dict("records"):
        m["completed_on"] = _day(m.get("completed_on"))
        items = timeline_items(m, by_matter.get(int(m["id"]), {}), days, today)
        lis = []
        for it in items:
            state = STATE_LABELS[it["state"]][0 if zh else 1]
            when = it["date"].isoformat() if it["date"] else ("—")
            due = ""
            if it["due"] is not None and it["state"] in ("late", "overdue"):
                due = f"（应于 {it['due'].isoformat()} 前）" if zh else f" (due by {it['due'].isoformat()})"
            detail = html.escape(_meeting_line(it["row"], zh)) if it["row"] else ""
            lis.append(f'<li class="step {it["state"]}" data-step="{it["step"]}" data-state="{it["state"]}">'
                       f'<span class="dot"></span><b>{html.escape(STEPS[it["step"]][0 if zh else 1])}</b> '
                       f'<span class="when">{when}</span> <span class="state">{state}{due}</span>'
                       f'<div class="detail">{detail}</div></li>')
        amount = _nz(m.get("amount_yuan"))
        money = (f"，{amount:,.2f} 元" if zh else f", {amount:,.2f} yuan") if amount is not None else ""
        cards.append(f'<div class="shequ-matter" data-matter="{int(m["id"])}"><div class="title"><b>{html.escape(str(m["title"]))}</b>'
                     f'{"（" if zh else " ("}{html.escape(CATEGORIES[m["category"]][0 if zh else 1])}{money}{"）" if zh else ")"}</div><ol class="timeline">{"".join(lis)}</ol></div>')
    style = ("<style>.shequ-matters{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}"
             ".shequ-matter{background:#fff;border:1px solid #e0e0e0;border-left:4px solid #1565c0;border-radius:4px;padding:8px 10px;font-size:13px}"
             ".shequ-matter ol{list-style:none;margin:6px 0 0 0;padding:0 0 0 14px;border-left:2px solid #90a4ae}"
             ".shequ-matter li{position:relative;margin:0 0 6px 0}.shequ-matter .dot{position:absolute;left:-20px;top:4px;width:10px;height:10px;"
             "border-radius:50%;background:#2e7d32}.shequ-matter li.pending .dot{background:#bdbdbd}.shequ-matter li.pending{color:#757575}"
             ".shequ-matter li.late .dot,.shequ-matter li.overdue .dot,.shequ-matter li.failed .dot{background:#c62828}"
             ".shequ-matter li.late .state,.shequ-matter li.overdue .state,.shequ-matter li.failed .state{color:#c62828;font-weight:bold}"
             ".shequ-matter .detail{color:#555}</style>")
    return style + f'<div class="shequ-matters">{"".join(cards)}</div>'


def matter_timeline(store):
    import panel as pn

    from shequ_sdk.ui.charts import message

    zh = store.lang == "zh"
    if store.region_obj.kind not in ("village", "community"):
        return message("选择一个村（社区）查看重大事项决策过程" if zh else "Pick a village to see its matters' timelines")
    body = timeline_html(store)
    if not body:
        return message(store.t("no_data"))
    return pn.pane.HTML(body, sizing_mode="stretch_width")


def sanzi_rows(store) -> list[dict]:
    """One row per village of the area (or the village itself), then the area's total."""
    values = store.village_indicators(list(SANZI_KEYS))
    area = store.indicator_values(list(SANZI_KEYS))
    rows = []
    if store.region_obj.kind not in ("village", "community") and not values.empty:
        for r in values.to_dict("records"):
            rows.append({"place": str(r["region_name"]), **{k: r.get(k) for k in SANZI_KEYS}})
    total = f"{store.region}（合计）" if store.lang == "zh" else f"{store.region} (total)"
    rows.append({"place": total if store.region_obj.kind not in ("village", "community") else store.region, **area})
    return rows


def sanzi_summary(store):
    import panel as pn

    from shequ_sdk.ui.charts import message

    rows = sanzi_rows(store)
    if not rows or all(not r.get("decisions.assets") and not r.get("decisions.contract_income_due") for r in rows):
        return message(store.t("no_data"))
    zh = store.lang == "zh"
    head = ["村（社区）" if zh else "Village"] + [store.indicator(k).label_zh if zh else store.indicator(k).label_en for k in SANZI_KEYS]
    body = []
    for r in rows:
        cells = [html.escape(r["place"])]
        for k in SANZI_KEYS:
            v = _nz(r.get(k))
            cells.append("—" if v is None else html.escape(store.format(k, v)))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    style = ("<style>.shequ-sanzi{border-collapse:collapse;font-size:13px;width:100%}.shequ-sanzi th,.shequ-sanzi td{border:1px solid #e0e0e0;"
             "padding:4px 6px;text-align:right}.shequ-sanzi td:first-child,.shequ-sanzi th:first-child{text-align:left}"
             ".shequ-sanzi tr:last-child{font-weight:bold;background:#f5f5f5}</style>")
    title = (f"{store.region} {store.period_obj.label('zh')}三资（资产、资源合同收入）" if zh
             else f"Collective assets and contract income, {store.region} {store.period_obj.label('en')}")
    table = ('<div style="overflow-x:auto"><table class="shequ-sanzi"><caption>' + html.escape(title) + "</caption><thead><tr>"
             + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")
    return pn.pane.HTML(style + table, sizing_mode="stretch_width")


@hookimpl
def register_views(register):
    register(View(key="decisions.matter_timeline", label_zh="重大事项四议两公开", label_en="Major matters: four deliberations, two disclosures",
                  render=matter_timeline, placement="village", order=120))
    register(View(key="decisions.sanzi_summary", label_zh="三资概况", label_en="Collective assets and contracts",
                  render=sanzi_summary, placement="chart", order=120))
    register(View(key="decisions.sanzi_village", label_zh="三资概况", label_en="Collective assets and contracts",
                  render=sanzi_summary, placement="village", order=121))
