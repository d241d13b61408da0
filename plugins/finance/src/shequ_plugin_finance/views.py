"""Dashboard views of the finance plugin.

- ``finance.disclosure_heatmap`` (township dashboard, first): village × quarter for each of the
  three boards (党务, 村务/居务, 财务), coloured on time / late / missing / not yet due, from
  :func:`shequ_plugin_finance.deadlines.board_status` — the same engine as the indicators.
- ``finance.boards_entry`` (data entry): the quarter's three boards of one village, filled in or
  corrected together and saved in one batch as drafts, in forms generated from ``finance_posting``'s
  metadata; buttons 审核 / 审批 / 公开 (shown to whoever may take the step: the village's reviewer,
  the township, the committee; all of them in local mode) move the drafts along the workflow.
  A board past draft is shown read-only with its state; the latest version of each is loaded.

Panel is imported inside the functions, so the ``shequ`` command never loads it.
"""

from __future__ import annotations

from typing import Any, Optional

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
        with store.reading() as session:  # board_status prepares the deadline schedule; rolled back after
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
    with store.reading() as session:
        monthly = bool(config.get(session, "finance.monthly_finance", region))
    out = {}
    for board in BOARDS_FOR_KIND[region.kind]:
        if board == "finance" and monthly:
            out[board] = [str(m) for m in quarter.subperiods("month")]
        else:
            out[board] = [str(quarter)]
    return out


def _board_form_class():
    """:class:`BoardForm`, defined on first use so Panel is imported only by the dashboards."""
    global BoardForm
    if "BoardForm" in globals():
        return BoardForm
    import html

    from sqlalchemy import select
    from sqlmodel import Session

    from shequ_sdk.ui.forms import RecordForm

    from .models import POSTING_STATUSES, WORKFLOW_COLUMNS
    from .workflow import local_time, short_fingerprint

    class BoardForm(RecordForm):
        """A posting form that leaves the workflow's columns to the workflow: it loads the latest
        version, saves drafts only, and shows a board past draft read-only with who did what."""

        stored: Optional[dict] = None  # the loaded posting as stored (None: a new one)

        def __init__(self, **params):
            super().__init__(**params)
            for name in WORKFLOW_COLUMNS:
                self.inputs.pop(name, None)

        def load_match(self) -> None:
            tbl = self.rt.model.__table__
            conds = [tbl.c[k] == v for k, v in {**self.match, "region_id": self.fixed["region_id"]}.items()]
            with Session(self.store.sdk.engine) as s:
                row = s.execute(select(tbl).where(*conds, tbl.c.status != "superseded")
                                .order_by(tbl.c.version.desc(), tbl.c.id.desc())).mappings().first()
            if row is not None:
                self._show_record(dict(row))
            else:
                self.new()

        def _show_record(self, row: dict) -> None:
            self.stored = row
            super()._show_record(row)
            frozen = row["status"] != "draft" or bool(getattr(self.store, "readonly", ""))  # past draft, or a locked quarter
            for name, fi in self.inputs.items():
                fi.disabled = frozen or name in self.rt.natural_key
            self.status.object = self.state_html(row)

        def new(self) -> None:
            self.stored = None
            super().new()

        @property
        def frozen(self) -> bool:
            return self.stored is not None and self.stored["status"] != "draft"

        def touched(self) -> bool:
            return not self.frozen and super().touched()

        def collect(self):
            row, problems = super().collect()
            if self.stored is not None:  # a draft keeps its version, what it corrects and why
                row.update({c: self.stored[c] for c in ("version", "supersedes_id", "correction_reason")})
            return row, problems

        def state_html(self, row: dict) -> str:
            zh, en = POSTING_STATUSES.get(row["status"], (row["status"], row["status"]))
            parts = [(f"第 {row['version']} 版" if self.lang == "zh" else f"version {row['version']}"), zh if self.lang == "zh" else en]
            for step, who, when in (("审核", "reviewed_by", "reviewed_at"), ("审批", "approved_by", "approved_at"), ("公开", "published_by", "published_at")):
                if row.get(who):
                    parts.append(f"{step} {row[who]} {local_time(row[when])}")
            if row.get("fingerprint"):
                parts.append(("指纹 " if self.lang == "zh" else "fingerprint ") + short_fingerprint(row["fingerprint"]))
            if row.get("correction_reason"):
                parts.append(("更正原因：" if self.lang == "zh" else "reason: ") + row["correction_reason"])
            return (f'<span class="shequ-form-mode shequ-posting-state" data-status="{html.escape(row["status"])}" '
                    f'style="color:#555">{html.escape(" · ".join(parts))}</span>')

    globals()["BoardForm"] = BoardForm
    return BoardForm


def _boards_batch_class():
    """The three boards' :class:`BatchForm` with the workflow's buttons under the save button."""
    global BoardsBatch
    if "BoardsBatch" in globals():
        return BoardsBatch
    import panel as pn

    from shequ_sdk.ui.forms import BatchForm

    class BoardsBatch(BatchForm):
        workflow = None  # the row of step buttons (workflow_bar); bar.run(step, zh, en) takes a step

        def __panel__(self):
            return pn.Column(super().__panel__(), self.workflow, sizing_mode="stretch_width")

    globals()["BoardsBatch"] = BoardsBatch
    return BoardsBatch


STEP_BUTTONS = (("review", "审核", "Review"), ("approve", "审批", "Approve"), ("publish", "公开", "Publish"))


def workflow_bar(store, batch):
    """Buttons 审核 / 审批 / 公开 for the boards of the batch, shown as the session's user may take
    each step; each applies to every board in the status it starts from, in one transaction."""
    import html
    from types import SimpleNamespace

    import panel as pn

    from . import workflow

    actor = getattr(store.sdk, "user", None)
    lang = store.lang
    here = SimpleNamespace(id=None, region_id=store.region_obj.id)
    with store.reading() as session:
        allowed = [(step, zh, en) for step, zh, en in STEP_BUTTONS if workflow.may(session, actor, step, here)]
    message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-step-message"])

    def say(text: str, ok: bool) -> None:
        kind, colour = ("ok", "#1b5e20") if ok else ("error", "#b00020")
        message.object = f'<div class="shequ-step-{kind}" role="status" style="color:{colour};font-weight:600">{html.escape(text)}</div>'

    def run(step: str, zh: str, en: str) -> int:
        want = workflow.ORDER[step][0]
        targets = [f for f in batch.forms if f.stored is not None and f.stored["status"] == want]
        if not targets:
            word = workflow.POSTING_STATUSES[want][0 if lang == "zh" else 1]
            say(f"没有「{word}」的记录可以{zh}" if lang == "zh" else f"no {word} posting to {en.lower()}", False)
            return 0
        try:
            with store.sdk.transaction() as session:
                for form in targets:
                    getattr(workflow, step)(session, form.stored["id"], actor)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing was changed
            text = getattr(exc, "zh" if lang == "zh" else "en", None) or str(exc)
            say((f"未能{zh}，未做任何更改：" if lang == "zh" else f"{en} refused, nothing changed: ") + text, False)
            return 0
        for form in batch.forms:
            form.reload()
        store.refresh()
        say(f"已{zh} {len(targets)} 条记录" if lang == "zh" else f"{en}: {len(targets)} posting(s)", True)
        return len(targets)

    buttons = []
    for step, zh, en in allowed:
        button = pn.widgets.Button(label=zh if lang == "zh" else en, color="light", css_classes=["shequ-step", f"shequ-step-{step}"])
        button.on_click(lambda _e, step=step, zh=zh, en=en: run(step, zh, en))
        buttons.append(button)
    bar = pn.Row(*buttons, message, sizing_mode="stretch_width", css_classes=["shequ-workflow"])
    bar.run = run  # reachable from a notebook or a test: bar.run("review", "审核", "Review")
    return bar


def boards_entry(store):
    """Forms for the quarter's three disclosure boards of one village, saved together as drafts,
    with the workflow's buttons under them."""
    from shequ_sdk.ui.charts import message

    board_form = _board_form_class()

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
            forms.append(board_form(
                store=store, table="finance_posting", title=heading, form_id=f"board-{board}-{period}",
                fixed={"board": board, "period": period, "kind": "regular"},
                defaults={"title": title_zh},
                match={"board": board, "period": period, "kind": "regular"},
            ))
    title = (f"{store.region_obj.name} · {store.period_obj.label(lang)} 三栏公开" if lang == "zh"
             else f"{store.region_obj.name} · disclosure boards, {store.period_obj.label(lang)}")
    batch = _boards_batch_class()(store=store, forms=forms, title=title, css_name="finance-boards")
    batch.workflow = workflow_bar(store, batch)
    return batch


def questions_entry(store):
    """村民质询: the online questions about the village's postings (the village's 待办), oldest
    first, each with its due date, the asker masked, and a reply box; 「答复」 stores the reply and
    (with 「在公开栏网页显示」) publishes it under the posting on the public page."""
    import html

    import panel as pn
    from sqlalchemy import select

    from shequ_sdk.ids import mask
    from shequ_sdk.ui.charts import message

    from . import questions
    from .models import Posting, Query

    lang = store.lang
    if store.region_obj.kind not in BOARDS_FOR_KIND:
        return message(store.t("entry.pick"))
    actor = getattr(store.sdk, "user", None)
    Q = Query.__table__
    with store.reading() as session:
        rows = session.execute(select(Q).where(Q.c.region_id == store.region_obj.id, Q.c.channel == questions.CHANNEL)
                               .order_by(Q.c.replied_on.is_not(None), Q.c.received_on, Q.c.id)).all()
        due = {r.id: questions.reply_due_of(session, r) for r in rows}
        titles = {p.id: p.title for p in session.execute(select(Posting).where(Posting.id.in_([r.posting_id for r in rows if r.posting_id]))).scalars()}
    if not rows:
        return message("本村（社区）还没有网上质询" if lang == "zh" else "No online questions for this village yet")
    status = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-question-message"])
    cards = []

    def answer(query_id: int, text: str, public: bool) -> bool:
        try:
            with store.sdk.transaction() as session:
                q = questions.answer(session, query_id, text, actor, public=public)
                number = q.number
        except Exception as exc:  # InputError / PermissionDenied: nothing changed
            said = getattr(exc, "zh" if lang == "zh" else "en", None) or str(exc)
            status.object = f'<div role="status" style="color:#b00020;font-weight:600">{html.escape(said)}</div>'
            return False
        status.object = (f'<div role="status" style="color:#1b5e20;font-weight:600">已答复 {html.escape(number)}'
                         + ("，已在公开栏网页显示" if public else "") + "</div>")
        return True

    for r in rows:
        who = "、".join(x for x in (mask(r.asker_name, "name") if r.asker_name else "匿名", mask(r.asker_phone, "phone")) if x)
        state = (f"已于 {r.replied_on} 答复" + ("（已公开）" if r.reply_public else "（未公开）")) if r.replied_on else f"答复期限 {due[r.id]}"
        hidden = f"；乡镇已隐藏：{r.hidden_reason}" if r.hidden_reason else ""
        head = pn.pane.HTML(
            f'<div><b>{html.escape(r.number)}</b> · {r.received_on} · {html.escape(who)} · {html.escape(state + hidden)}<br>'
            f'关于：{html.escape(titles.get(r.posting_id, "—"))}<br>{html.escape(r.subject)}</div>', sizing_mode="stretch_width")
        reply = pn.widgets.TextAreaInput(label="答复", value=r.reply_text or "", max_length=2000, rows=3, sizing_mode="stretch_width",
                                         css_classes=["shequ-question-reply"])
        public = pn.widgets.Checkbox(label="在公开栏网页显示", value=True if r.replied_on is None else bool(r.reply_public))
        button = pn.widgets.Button(label="答复", color="primary", css_classes=["shequ-question-answer"])
        button.on_click(lambda _e, qid=r.id, box=reply, tick=public: answer(qid, box.value, tick.value))
        cards.append(pn.Column(head, reply, pn.Row(public, button), sizing_mode="stretch_width", css_classes=["shequ-question"],
                               styles={"border": "1px solid #ddd", "padding": "6px", "margin": "4px 0"}))
    view = pn.Column(status, *cards, sizing_mode="stretch_width", css_classes=["finance-questions"])
    view.answer = answer  # reachable from a notebook or a test
    return view


@hookimpl
def register_views(register):
    register(View(key="finance.disclosure_heatmap", label_zh="村务公开及时情况", label_en="Disclosure on time",
                  render=disclosure_heatmap, placement="chart", order=10))
    register(View(key="finance.boards_entry", label_zh="三栏公开", label_en="Disclosure boards",
                  render=boards_entry, placement="entry", order=10))
    register(View(key="finance.questions_entry", label_zh="村民质询", label_en="Residents' questions",
                  render=questions_entry, placement="entry", order=20))
    from .reminder_views import behind_panel, reminders_entry

    register(View(key="finance.behind", label_zh="催办", label_en="Reminders",
                  render=behind_panel, placement="chart", order=15))
    register(View(key="finance.reminders_entry", label_zh="催办与待办", label_en="To do and reminders",
                  render=reminders_entry, placement="entry", order=30))
