"""Dashboard views of the finance plugin.

- ``finance.disclosure_heatmap`` (township dashboard, first): village × quarter for each of the
  three boards (党务, 村务/居务, 财务), coloured on time / late / missing / not yet due, from
  :func:`shequ_plugin_finance.deadlines.board_status` — the same engine as the indicators.
- ``finance.boards_entry`` (data entry): the quarter's three boards of one village, filled in or
  corrected together and saved in one batch as drafts, in forms generated from ``finance_posting``'s
  metadata; buttons 审核 / 审批 / 公开 (shown to whoever may take the step: the village's reviewer,
  the township, the committee; all of them in local mode) move the drafts along the workflow.
  A board past draft is shown read-only with its state; the latest version of each is loaded.
  A published board offers 申请更正 (a reason is required): a new draft version to edit, review
  and publish again, through ``workflow.correct``.

Panel is imported inside the functions, so the ``shequ`` command never loads it.
"""

from __future__ import annotations

import datetime as dt
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


def disclosure_heatmap_html(store) -> Optional[str]:
    """The disclosure heatmap of the store's area for the four quarters of the selected year, as
    HTML (what the dashboard shows and the printed dashboard prints); ``None``: no villages."""
    from shequ_sdk.ui.charts import status_heatmap

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
        return None
    return status_heatmap(
        heatmap_cells(rows, lang),
        rows=[(int(v.id), v.name) for v in inside.itertuples()],
        lines=[(k, v[0] if lang == "zh" else v[1]) for k, v in LINE_LABELS.items()],
        columns=[(str(q), q.label(lang)) for q in quarters],
        statuses=STATUSES,
        lang=lang,
        row_header=store.t("village"),
        title=(f"{year}年各村三栏公开情况（按季度）" if lang == "zh" else f"Disclosure boards by quarter, {year}"),
    )


def disclosure_heatmap(store):
    """The disclosure heatmap as a Panel pane (:func:`disclosure_heatmap_html`)."""
    import panel as pn

    from shequ_sdk.ui.charts import message

    html = disclosure_heatmap_html(store)
    if html is None:
        return message(store.t("no_villages"))
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
    from .workflow import local_time, person_label, short_fingerprint

    class BoardForm(RecordForm):
        """A posting form that leaves the workflow's columns to the workflow: it loads the latest
        version, saves drafts only, and shows a board past draft read-only with who did what."""

        stored: Optional[dict] = None  # the loaded posting as stored (None: a new one)

        def __init__(self, **params):
            super().__init__(**{"omit": list(WORKFLOW_COLUMNS), **params})

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
            with Session(self.store.sdk.engine) as s:  # people by their display name; the local user as 本机用户
                for step, who, when in (("审核", "reviewed_by", "reviewed_at"), ("审批", "approved_by", "approved_at"),
                                        ("公开", "published_by", "published_at")):
                    if row.get(who):
                        parts.append(f"{step} {person_label(s, row[who], self.lang)} {local_time(row[when])}")
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
    from shequ_sdk.ui.forms import BatchForm

    class BoardsBatch(BatchForm):
        workflow = None  # the row of step buttons (workflow_bar); bar.run(step, zh, en) takes a step

        def save(self) -> int:
            written = super().save()
            if written and self.workflow is not None:
                self.workflow.refresh()  # 复制上季度 is offered only while the quarter has no boards
            return written

        def footer(self) -> list:
            return [self.workflow, self.workflow.extras]

    globals()["BoardsBatch"] = BoardsBatch
    return BoardsBatch


STEP_BUTTONS = (("review", "审核", "Review"), ("approve", "审批", "Approve"), ("publish", "公开", "Publish"))


CONFIRM_CSS = ":host {border-left: 4px solid #e65100; background: #fff3e0; padding: 6px 10px; margin: 6px 0;}"


def workflow_bar(store, batch):
    """Buttons 审核 / 审批 / 公开 for the boards of the batch, shown as the session's user may take
    each step; each applies to every board in the status it starts from, in one transaction.

    公开 cannot be undone, so its button first shows what would go up — each board and quarter,
    its number of items, who approved it and who publishes it, by name (本机用户 in single-user
    mode) — with 确认公开 / 取消. A user who may also approve (single-user mode, township staff)
    has the reviewed boards approved and published by the same confirmation. ``bar.extras`` holds
    the confirmation, 复制上季度 (a quarter without boards), 打印公开栏 and 申请更正 with its reason (each
    published board; the latter for whoever may correct it)."""
    import html
    from types import SimpleNamespace

    import panel as pn

    from shequ_sdk.ui.forms import BUTTON_CSS, when_visible
    from shequ_sdk.ui.keyboard import focus as keyboard_focus

    from . import workflow

    actor = getattr(store.sdk, "user", None)
    lang = store.lang
    zh_ui = lang == "zh"
    here = SimpleNamespace(id=None, region_id=store.region_obj.id)
    with store.reading() as session:
        allowed = [(step, zh, en) for step, zh, en in STEP_BUTTONS if workflow.may(session, actor, step, here)]
        may_approve = workflow.may(session, actor, "approve", here)
        may_write = not store.readonly and workflow.may(session, actor, "correct", here)  # the committee (or township) drafts boards
    message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-step-message"])

    def say(text: str, ok: bool) -> None:
        kind, colour = ("ok", "#1b5e20") if ok else ("error", "#b00020")
        message.object = f'<div class="shequ-step-{kind}" role="status" style="color:{colour};font-weight:600">{html.escape(text)}</div>'

    def refused(exc: Exception, zh: str, en: str) -> None:
        text = getattr(exc, "zh" if zh_ui else "en", None) or str(exc)
        say((f"未能{zh}，未做任何更改：" if zh_ui else f"{en} refused, nothing changed: ") + text, False)

    def after_change() -> None:
        for form in batch.forms:
            form.reload()
        store.refresh()
        show_extras()

    def run(step: str, zh: str, en: str) -> int:
        want = workflow.ORDER[step][0]
        targets = [f for f in batch.forms if f.stored is not None and f.stored["status"] == want]
        if not targets:
            word = workflow.POSTING_STATUSES[want][0 if zh_ui else 1]
            say(f"没有「{word}」的记录可以{zh}" if zh_ui else f"no {word} posting to {en.lower()}", False)
            return 0
        try:
            with store.sdk.transaction() as session:
                for form in targets:
                    getattr(workflow, step)(session, form.stored["id"], actor)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing was changed
            refused(exc, zh, en)
            return 0
        after_change()
        say(f"已{zh} {len(targets)} 条记录" if zh_ui else f"{en}: {len(targets)} posting(s)", True)
        return len(targets)

    # -- publishing, after a confirmation ---------------------------------------------------------
    confirm_text = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-publish-summary"])
    confirm_ok = pn.widgets.Button(label="确认公开" if zh_ui else "Confirm publication", color="danger",
                                   css_classes=["shequ-publish-confirm-ok"], stylesheets=[BUTTON_CSS])
    confirm_cancel = pn.widgets.Button(label="取消" if zh_ui else "Cancel", color="light", css_classes=["shequ-publish-cancel"],
                                       stylesheets=[BUTTON_CSS])
    # the draft proof (草稿样张) of each board about to go up: the printed board, watermarked 草稿
    proofs = pn.FlexBox(flex_wrap="wrap", sizing_mode="stretch_width", css_classes=["shequ-publish-proofs"])
    confirm_box = pn.Column(confirm_text, proofs, pn.FlexBox(confirm_ok, confirm_cancel, flex_wrap="wrap"), visible=False,
                            sizing_mode="stretch_width", css_classes=["shequ-publish-confirm"], stylesheets=[CONFIRM_CSS])
    pending: dict[str, list] = {"ids": []}

    def publish_targets() -> list:
        wanted = ("approved", "reviewed") if may_approve else ("approved",)
        return [f for f in batch.forms if f.stored is not None and f.stored["status"] in wanted]

    def ask_publish() -> list[dict]:
        """Show what 公开 would put up and wait for 确认公开; returns the boards listed."""
        confirm_box.visible = False
        pending["ids"] = []
        targets = publish_targets()
        if not targets:
            word = workflow.POSTING_STATUSES["approved"][0 if zh_ui else 1]
            say(f"没有「{word}」的记录可以公开" if zh_ui else f"no {word} posting to publish", False)
            return []
        shown, problems = [], []
        with store.reading() as session:
            counts = workflow._items_of(session, [f.stored["id"] for f in targets])
            for form in targets:
                posting = workflow.get_posting(session, form.stored["id"])
                n = len(counts[posting.id])
                if not n:
                    try:
                        workflow._refuse_empty(session, posting)
                    except Exception as exc:
                        problems.append(getattr(exc, "zh" if zh_ui else "en", None) or str(exc))
                approver = (workflow.person_label(session, posting.approved_by, lang) if posting.status == "approved"
                            else workflow.actor_label(actor, lang))
                shown.append({"id": posting.id, "board": workflow.posting_label(posting, lang), "title": posting.title, "items": n,
                              "approver": approver, "approve": posting.status == "reviewed",
                              "posted_on": (posting.posted_on or dt.date.today()).isoformat()})
        if problems:
            say(("未能公开，未做任何更改：" if zh_ui else "Publication refused, nothing changed: ") + "；".join(problems), False)
            return []
        publisher = workflow.actor_label(actor, lang)
        lines = []
        for b in shown:
            if zh_ui:
                step = "审批并公开" if b["approve"] else "公开"
                lines.append(f"<li><b>{html.escape(b['board'])}</b>「{html.escape(b['title'])}」：{b['items']} 项公开事项；"
                             f"审批人 {html.escape(b['approver'])}{'（本次审批）' if b['approve'] else ''}；公开人 {html.escape(publisher)}；"
                             f"公开日期 {b['posted_on']}（{step}）</li>")
            else:
                lines.append(f"<li><b>{html.escape(b['board'])}</b> ({html.escape(b['title'])}): {b['items']} item(s); approved by "
                             f"{html.escape(b['approver'])}{' (approved now)' if b['approve'] else ''}; published by {html.escape(publisher)}; "
                             f"posted on {b['posted_on']}</li>")
        head = (f"将公开以下 {len(shown)} 个公开栏：" if zh_ui else f"About to publish {len(shown)} board(s):")
        warn = ("公开后不能撤销：内容将生成指纹、张贴并计入按时公开；发现错误只能发起更正（新版本，旧版本保留）。"
                if zh_ui else "Publication cannot be undone: the content is fingerprinted, posted and counted; a mistake "
                              "can only be corrected by a new version (the old one is kept).")
        confirm_text.object = (f'<div role="alert"><div style="font-weight:600">{html.escape(head)}</div>'
                               f'<ul class="shequ-publish-list">{"".join(lines)}</ul>'
                               f'<div class="shequ-publish-warning" style="color:#bf360c;font-weight:600">{html.escape(warn)}</div></div>')
        pending["ids"] = [b["id"] for b in shown]
        proofs.objects = [proof_button(board, period) for board, period in dict.fromkeys((f.stored["board"], f.stored["period"]) for f in targets)]
        message.object = ""
        confirm_box.visible = True
        return shown

    def confirm_publish() -> int:
        """确认公开: approve (where this user may and it is still needed) and publish the boards the
        confirmation listed, in one transaction; nothing changes when any one is refused."""
        ids, pending["ids"] = pending["ids"], []
        confirm_box.visible = False
        if not ids:
            return 0
        try:
            with store.sdk.transaction() as session:
                for pid in ids:
                    if may_approve and workflow.get_posting(session, pid).status == "reviewed":
                        workflow.approve(session, pid, actor)
                    workflow.publish(session, pid, actor)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing was changed
            refused(exc, "公开", "Publication")
            return 0
        after_change()
        if prints.objects:  # the confirmation is gone: the focus goes to the first 打印公开栏
            keyboard_focus(prints.objects[0].css_classes[-1])
        say(f"已公开 {len(ids)} 条记录" if zh_ui else f"Published: {len(ids)} posting(s)", True)
        return len(ids)

    def cancel_publish() -> None:
        pending["ids"] = []
        confirm_box.visible = False
        say("已取消，未公开任何记录" if zh_ui else "Cancelled: nothing was published", True)

    confirm_ok.on_click(lambda _e: confirm_publish())
    confirm_cancel.on_click(lambda _e: cancel_publish())

    # -- copying last quarter ---------------------------------------------------------------------
    copy_button = pn.widgets.Button(label="复制上季度" if zh_ui else "Copy last quarter", color="light",
                                    css_classes=["shequ-copy-last-quarter"], stylesheets=[BUTTON_CSS], visible=False)

    def copy_last_quarter() -> int:
        """复制上季度: last quarter's boards and items as drafts of this quarter (an empty one)."""
        try:
            with store.sdk.transaction() as session:
                copied = workflow.copy_last_quarter(session, store.region_obj.id, store.period_obj, actor, today=store.as_of)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing was written
            refused(exc, "复制上季度", "Copy of last quarter")
            return 0
        after_change()
        # the button is gone: the focus goes to the first field of the copied boards, not to the page's start
        first = next(((f, name) for f in batch.forms for name, fi in f.inputs.items() if not fi.disabled), None)
        if first is not None:
            keyboard_focus(f"shequ-input-{first[0].form_id}-{first[1]}")
        items = sum(c["items"] for c in copied)
        say(f"已复制上季度 {len(copied)} 条公开记录（{items} 项公开事项）为草稿，请核对修改后保存，再审核、公开" if zh_ui
            else f"Copied {len(copied)} posting(s) ({items} items) from last quarter as drafts: check and edit them, then review "
                 f"and publish", True)
        return len(copied)

    copy_button.on_click(lambda _e: copy_last_quarter())

    # -- printing published boards ----------------------------------------------------------------
    prints = pn.FlexBox(flex_wrap="wrap", sizing_mode="stretch_width", css_classes=["shequ-print-boards"])

    def board_pdf(board: str, period: str, proof: bool = False):
        """The printed board, as ``shequ board`` writes it (:func:`shequ_sdk.boards.write_board`);
        with ``proof``, its draft proof (``shequ board --proof``)."""
        import io
        import tempfile
        from pathlib import Path

        from shequ_sdk.boards import write_board

        with tempfile.TemporaryDirectory() as d:
            out = write_board(store.sdk, region=store.region, period=period, board=board,
                              out=Path(d) / "board.pdf", proof=proof)
            return io.BytesIO(out.read_bytes())

    def proof_button(board: str, period: str):
        zh, en = BOARDS[board]
        return pn.widgets.FileDownload(callback=lambda: board_pdf(board, period, proof=True),
                                       filename=f"{store.region_obj.name}_{period}_{zh}公开栏_草稿样张.pdf",
                                       label=f"查看{zh}公开栏草稿样张" if zh_ui else f"Draft proof of the {en} board",
                                       color="light", css_classes=["shequ-publish-proof", f"shequ-proof-{board}"],
                                       stylesheets=[BUTTON_CSS])

    # -- correcting a published board ----------------------------------------------------------------
    corrections = pn.Column(sizing_mode="stretch_width", css_classes=["shequ-corrections"])

    def correct(board: str, period: str, reason: str) -> bool:
        """申请更正: a new draft version of the published ``board`` of ``period`` with the (required)
        reason, through :func:`workflow.correct` (audit-logged); edit it, then review and publish it."""
        zh, en = BOARDS[board]
        form = next((f for f in batch.forms if f.stored is not None and f.stored["board"] == board and f.stored["period"] == period
                     and f.stored["status"] == "published"), None)
        if form is None:
            say(f"没有已公开的{zh}公开栏可以更正" if zh_ui else f"no published {en} board to correct", False)
            return False
        try:
            with store.sdk.transaction() as session:
                new = workflow.correct(session, form.stored["id"], reason, actor)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing was written
            refused(exc, "申请更正", "Correction")
            return False
        form.load_match()  # the new draft version, not the published one it replaces
        after_change()
        say(f"已发起{zh}公开栏的更正（第 {new.version} 版草稿）：修改后保存，再审核、公开" if zh_ui
            else f"Correction of the {en} board started (draft version {new.version}): edit and save it, then review and publish it", True)
        return True

    def correction_box(board: str, period: str):
        zh, en = BOARDS[board]
        reason = pn.widgets.TextInput(label=(f"{zh}公开栏更正原因（必填）" if zh_ui else f"Why correct the {en} board (required)"),
                                      min_width=220, css_classes=["shequ-correct-reason", f"shequ-correct-reason-{board}"])
        button = pn.widgets.Button(label="申请更正" if zh_ui else "Correct", color="warning",
                                   css_classes=["shequ-correct", f"shequ-correct-{board}"], stylesheets=[BUTTON_CSS])
        button.on_click(lambda _e: correct(board, period, reason.value_input or reason.value or ""))
        return pn.FlexBox(reason, button, flex_wrap="wrap", align_items="flex-end")

    def show_extras() -> None:
        copy_button.visible = may_write and all(f.stored is None for f in batch.forms)
        buttons, boxes = [], []
        for form in batch.forms:
            if form.stored is None or form.stored["status"] != "published":
                continue
            board, period = form.stored["board"], form.stored["period"]
            if may_write:
                boxes.append(correction_box(board, period))
            zh, en = BOARDS[board]
            label = (f"打印{zh}公开栏" if zh_ui else f"Print the {en} board") + (f" {period}" if len(batch.forms) > 3 else "")
            name = f"{store.region_obj.name}_{period}_{zh}公开栏.pdf"
            buttons.append(pn.widgets.FileDownload(callback=lambda board=board, period=period: board_pdf(board, period), filename=name,
                                                   label=label, color="light", css_classes=["shequ-print-board", f"shequ-print-{board}"],
                                                   stylesheets=[BUTTON_CSS]))
        prints.objects = buttons
        corrections.objects = boxes

    buttons = []
    for step, zh, en in allowed:
        button = pn.widgets.Button(label=zh if zh_ui else en, color="light", css_classes=["shequ-step", f"shequ-step-{step}"],
                                   stylesheets=[BUTTON_CSS])
        if step == "publish":
            button.on_click(lambda _e: ask_publish())
        else:
            button.on_click(lambda _e, step=step, zh=zh, en=en: run(step, zh, en))
        buttons.append(button)
    bar = pn.Row(*buttons, message, sizing_mode="stretch_width", css_classes=["shequ-workflow"])
    bar.extras = pn.Column(when_visible(confirm_box), when_visible(copy_button), prints, corrections, sizing_mode="stretch_width", css_classes=["shequ-workflow-extras"])
    show_extras()
    # reachable from a notebook or a test: bar.run("review", "审核", "Review") takes a step at once;
    # bar.ask_publish() then bar.confirm_publish() is what 公开 and 确认公开 do
    bar.run, bar.ask_publish, bar.confirm_publish, bar.cancel_publish = run, ask_publish, confirm_publish, cancel_publish
    bar.refresh, bar.correct, bar.corrections = show_extras, correct, corrections
    bar.copy_last_quarter, bar.board_pdf, bar.prints, bar.confirm_box, bar.copy_button, bar.proofs = (
        copy_last_quarter, board_pdf, prints, confirm_box, copy_button, proofs)
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
                  render=disclosure_heatmap, printable=disclosure_heatmap_html, placement="chart", order=10))
    register(View(key="finance.boards_entry", label_zh="三栏公开", label_en="Disclosure boards",
                  render=boards_entry, placement="entry", order=10))
    register(View(key="finance.questions_entry", label_zh="村民质询", label_en="Residents' questions",
                  render=questions_entry, placement="entry", order=20))
    from .reminder_views import behind_panel, reminders_entry

    register(View(key="finance.behind", label_zh="催办", label_en="Reminders",
                  render=behind_panel, placement="chart", order=15))
    register(View(key="finance.reminders_entry", label_zh="催办与待办", label_en="To do and reminders",
                  render=reminders_entry, placement="entry", order=30))
