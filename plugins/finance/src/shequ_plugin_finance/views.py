"""Dashboard views of the finance plugin.

- ``finance.disclosure_heatmap`` (township dashboard, first): village × quarter for each of the
  three boards (党务, 村务/居务, 财务), coloured on time / late / missing / not yet due, from
  :func:`shequ_plugin_finance.deadlines.board_status` — the same engine as the indicators.
- ``finance.boards_entry`` (data entry): the quarter's three boards of one village, filled in or
  corrected together and saved in one batch, in forms generated from ``finance_posting``'s metadata.

Panel is imported inside the functions, so the ``shequ`` command never loads it.
"""

from __future__ import annotations

from typing import Any

from shequ_sdk import Period, View, config, hookimpl

from .deadlines import STATUSES, board_status, worst
from .models import BOARDS, BOARDS_FOR_KIND

# the 村务 board of a village and the 居务 board of a community share the middle column
LINES = {"party": "party", "village": "affairs", "residents": "affairs", "finance": "finance"}
LINE_LABELS = {"party": ("党务", "Party affairs"), "affairs": ("村务/居务", "Village/residents' affairs"), "finance": ("财务", "Finance")}


def heatmap_cells(rows: list[dict[str, Any]], lang: str = "zh") -> dict[tuple, dict[str, Any]]:
    """Fold :func:`board_status` rows into ``{(region_id, line, quarter): {status, note}}``.

    A cell holding several obligations (monthly finance in a quarter) shows the worst status;
    the note gives the due date and the posting date of each.
    """
    grouped: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["kind"] != "board":
            continue
        grouped.setdefault((r["region_id"], LINES[r["board"]], r["requested_period"]), []).append(r)
    cells = {}
    for key, items in grouped.items():
        notes = []
        for r in items:
            due = r["due_date"].isoformat() if r["due_date"] else "—"
            posted = r["posted_on"].isoformat() if r["posted_on"] else ("未公开" if lang == "zh" else "not posted")
            period = f"{r['period']} " if len(items) > 1 else ""
            notes.append(f"{period}截止 {due}，公开 {posted}" if lang == "zh" else f"{period}due {due}, posted {posted}")
        cells[key] = {"status": worst(r["status"] for r in items), "note": "；".join(notes) if lang == "zh" else "; ".join(notes)}
    return cells


def disclosure_heatmap(store):
    """The disclosure heatmap of the store's area for the four quarters of the selected year."""
    import panel as pn

    from shequ_sdk.ui.charts import message, status_heatmap

    lang = store.lang
    year = store.period_obj.year
    quarters = [Period("quarter", year, q) for q in range(1, 5)]

    def compute():
        with store.transaction() as session:  # board_status refreshes the derived deadline schedule
            return board_status(session, store.region, quarters, as_of=store.as_of)

    rows = store.cached(("finance.heatmap", year), compute)
    villages = store.regions()
    area = store.region_obj
    inside = villages[(villages["level"].astype(str) == "village") & villages["valid_to"].isna()
                      & ((villages["id"] == area.id) | (villages["township_id"] == area.id) | (villages["county_id"] == area.id))]
    if inside.empty:
        return message(store.t("no_villages"))
    html = status_heatmap(
        heatmap_cells(rows, lang),
        rows=[(int(v.id), v.name) for v in inside.itertuples()],
        lines=[(k, v[0] if lang == "zh" else v[1]) for k, v in LINE_LABELS.items()],
        columns=[(str(q), q.label(lang)) for q in quarters],
        statuses=STATUSES,
        lang=lang,
        row_header=store.t("village"),
        title=(f"{year}年各村三栏公开情况（按季度）" if lang == "zh" else f"Disclosure boards by quarter, {year}"),
    )
    return pn.pane.HTML(html, sizing_mode="stretch_width", css_classes=["finance-heatmap"])


def board_periods(store) -> dict[str, list[str]]:
    """``{board: [periods]}`` the village owes for the selected quarter: three boards, with the
    finance board monthly where the township set ``finance.monthly_finance`` for the village."""
    region = store.region_obj
    quarter = store.period_obj
    with store.transaction() as session:
        monthly = bool(config.get(session, "finance.monthly_finance", region))
    out = {}
    for board in BOARDS_FOR_KIND[region.kind]:
        if board == "finance" and monthly:
            out[board] = [str(m) for m in quarter.subperiods("month")]
        else:
            out[board] = [str(quarter)]
    return out


def boards_entry(store):
    """Forms for the quarter's three disclosure boards of one village, saved together."""
    from shequ_sdk.ui.charts import message
    from shequ_sdk.ui.forms import BatchForm, RecordForm

    lang = store.lang
    if store.period_obj.kind != "quarter" or store.region_obj.kind not in BOARDS_FOR_KIND:
        return message(store.t("entry.pick"))
    forms = []
    for board, periods in board_periods(store).items():
        zh, en = BOARDS[board]
        for period in periods:
            p = Period.parse(period)
            title_zh = f"{p.label('zh')}{zh}公开"
            heading = f"{zh}公开栏 · {p.label('zh')}" if lang == "zh" else f"{en} board · {p.label('en')}"
            forms.append(RecordForm(
                store=store, table="finance_posting", title=heading, form_id=f"board-{board}-{period}",
                fixed={"board": board, "period": period, "kind": "regular"},
                defaults={"title": title_zh, "status": "published"},
                match={"board": board, "period": period, "kind": "regular"},
            ))
    title = (f"{store.region_obj.name} · {store.period_obj.label(lang)} 三栏公开" if lang == "zh"
             else f"{store.region_obj.name} · disclosure boards, {store.period_obj.label(lang)}")
    return BatchForm(store=store, forms=forms, title=title, css_name="finance-boards")


@hookimpl
def register_views(register):
    register(View(key="finance.disclosure_heatmap", label_zh="村务公开及时情况", label_en="Disclosure on time",
                  render=disclosure_heatmap, placement="chart", order=10))
    register(View(key="finance.boards_entry", label_zh="三栏公开", label_en="Disclosure boards",
                  render=boards_entry, placement="entry", order=10))
