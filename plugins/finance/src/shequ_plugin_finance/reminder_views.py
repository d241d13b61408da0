"""The 催办 views: on the township dashboard, the villages behind with their boards and a
button to remind the chosen ones; in the entry app, a village's reminders and its boards still
to post. Panel is imported inside the functions, so the ``shequ`` command never loads it."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from shequ_sdk import Period

from .models import BOARDS_FOR_KIND

STATUS = {"missing": ("未公开", "not posted"), "late": ("迟公开", "posted late")}


def reminder_quarter(store) -> Period:
    """The quarter a view reminds about: the selected quarter; for a year, its last quarter that
    is already due (the fourth when the year is over); for a month, its quarter."""
    p = store.period_obj
    if p.kind == "quarter":
        return p
    if p.kind == "month":
        return Period.containing(p.start, "quarter")
    today = store.as_of or dt.date.today()
    due = [q for q in range(4, 0, -1) if Period("quarter", p.year, q).end < today]
    return Period("quarter", p.year, due[0] if due else 1)


def _status(box, text: str, ok: bool) -> None:
    colour = "#1b5e20" if ok else "#b00020"
    box.object = f'<div role="status" style="color:{colour};font-weight:600">{html.escape(text)}</div>'


def behind_panel(store):
    """Township dashboard: villages behind with the quarter's boards; remind the chosen ones."""
    import pandas as pd
    import panel as pn

    from shequ_sdk.ui.charts import data_grid, message

    from . import reminders

    lang, zh = store.lang, store.lang == "zh"
    user = getattr(store.sdk, "user", None)
    if user is not None and user.role not in ("admin", "township"):
        return message("催办由乡镇工作人员发出" if zh else "Reminders are sent by township staff")
    quarter = reminder_quarter(store)
    as_of = store.as_of or dt.date.today()
    status = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["finance-remind-message"])
    note = pn.widgets.TextInput(label="催办意见（可选）" if zh else "Note (optional)", max_length=500, sizing_mode="stretch_width",
                                css_classes=["finance-remind-note"])
    button = pn.widgets.Button(label="催办所选村（社区）" if zh else "Remind the villages chosen", color="primary",
                               css_classes=["finance-remind-button"], min_height=40)
    body = pn.Column(sizing_mode="stretch_width")
    state: dict[str, Any] = {}

    def load() -> None:
        with store.reading() as session:
            found = reminders.behind(session, store.region_obj, quarter, as_of, lang)
            done = reminders.effect(session, store.region_obj, quarter, lang)
        state["rows"] = found["behind"]
        frame = pd.DataFrame([{
            ("村（社区）" if zh else "Village"): r["village"],
            ("公开栏" if zh else "Boards"): r["boards"],
            ("情况" if zh else "Status"): STATUS[r["status"]][0 if zh else 1],
            ("截止日期" if zh else "Due"): r["due_date"].isoformat(),
            ("逾期天数" if zh else "Days overdue"): int(r["days_overdue"]),
            ("负责人" if zh else "Responsible"): r["responsible"] or "—",
            ("已催办" if zh else "Reminded"): (f"{r['reminders']} 次，最近 {r['last_reminded']}" if zh else
                                               f"{r['reminders']}×, last {r['last_reminded']}") if r["reminders"] else "—",
        } for r in found["behind"]])
        head = (f"{quarter.label(lang)}：{len(found['behind'])} 个村（社区）未按时公开；已催办 {done['sent']} 次，"
                f"其中 {done['effective']} 次在要求日期前完成公开" if zh else
                f"{quarter.label(lang)}: {len(found['behind'])} villages behind; {done['sent']} reminders sent, "
                f"{done['effective']} followed by posting in time")
        parts = [pn.pane.HTML(f"<b>{html.escape(head)}</b>", sizing_mode="stretch_width")]
        if found["behind"]:
            table = data_grid(frame, selectable="checkbox", show_index=False, disabled=True, layout="fit_data_table",
                              sizing_mode="stretch_width", max_height=360, css_classes=["finance-behind-table"])
            state["table"] = table
            parts += [table, pn.FlexBox(note, button, sizing_mode="stretch_width")]
        else:
            state["table"] = None
            parts.append(message("本季度各村（社区）均已按时公开" if zh else "Every village posted this quarter's boards on time"))
        if found["upcoming"]:
            soon = "；".join(f"{u['village']} {u['board']} {u['due_date']}（{u['days_left']} 天后）" if zh else
                            f"{u['village']} {u['board']} {u['due_date']} (in {u['days_left']} days)" for u in found["upcoming"])
            parts.append(pn.pane.HTML(f"<div>{'即将到期' if zh else 'Due soon'}：{html.escape(soon)}</div>", sizing_mode="stretch_width"))
        body.objects = parts

    def send(chosen: list[int]) -> bool:
        rows = state.get("rows") or []
        villages = [rows[i]["region_id"] for i in chosen if 0 <= i < len(rows)]
        if not villages:
            _status(status, "请先勾选要催办的村（社区）" if zh else "Tick the villages to remind first", False)
            return False
        try:
            with store.sdk.transaction() as session:
                reminders.remind(session, user, villages, quarter, note=note.value.strip() or None, today=as_of, as_of=as_of)
        except Exception as exc:  # InputError / PermissionDenied / BatchError: nothing written
            _status(status, getattr(exc, "zh" if zh else "en", None) or str(exc), False)
            return False
        names = "、".join(r["village"] for r in rows if r["region_id"] in villages)
        _status(status, f"已催办：{names}" if zh else f"Reminded: {names}", True)
        note.value = ""
        load()
        return True

    button.on_click(lambda _e: send(list(state["table"].selection) if state.get("table") is not None else []))
    load()
    view = pn.Column(status, body, sizing_mode="stretch_width", css_classes=["finance-behind"])
    view.send = send  # reachable from a notebook or a test
    return view


def reminders_entry(store):
    """Entry app: what the township reminded this village of, and the quarter's boards still to post."""
    import panel as pn

    from shequ_sdk.ui.charts import message

    from . import reminders
    from .deadlines import obligation_status
    from .models import BOARDS

    lang, zh = store.lang, store.lang == "zh"
    if store.region_obj.kind not in BOARDS_FOR_KIND:
        return message(store.t("entry.pick"))
    quarter = reminder_quarter(store)
    as_of = store.as_of or dt.date.today()
    with store.reading() as session:
        got = reminders.received(session, store.region_obj, lang)
        todo = [r for r in obligation_status(session, store.region_obj, [quarter], as_of, ("board",))
                if r["period"] == str(quarter) and r["status"] in ("missing", "not_yet_due")]
    items = []
    for r in sorted(todo, key=lambda r: r["due_date"]):
        name = BOARDS[r["board"]][0 if zh else 1]
        late = r["status"] == "missing"
        text = (f"{name} · {quarter.label(lang)} · {'已逾期' if late else '截止'} {r['due_date']}" if zh else
                f"{name} · {quarter.label(lang)} · {'overdue since' if late else 'due'} {r['due_date']}")
        items.append(f'<li style="color:{"#b00020" if late else "#333"}">{html.escape(text)}</li>')
    parts = [pn.pane.HTML(f"<b>{'待公开' if zh else 'To post'}</b>"
                          + (f"<ul>{''.join(items)}</ul>" if items else
                             f"<div>{'本季度公开栏均已公开' if zh else 'All boards of the quarter are posted'}</div>"),
                          sizing_mode="stretch_width", css_classes=["finance-todo"])]
    lines = []
    for g in got:
        done = (f"已于 {g['posted_on']} 公开" if zh else f"posted {g['posted_on']}") if g["posted_on"] else (
            f"请于 {g['respond_by']} 前公开" if zh else f"post by {g['respond_by']}")
        said = f"：{g['note']}" if g["note"] else ""
        lines.append(f"<li>{html.escape(str(g['reminded_on']))} · {html.escape(g['period'])} · {html.escape(g['boards'])} · "
                     f"{html.escape(done)}{html.escape(said)}</li>")
    parts.append(pn.pane.HTML(f"<b>{'乡镇催办' if zh else 'Reminders from the township'}</b>"
                              + (f"<ul>{''.join(lines)}</ul>" if lines else f"<div>{'没有催办' if zh else 'No reminders'}</div>"),
                              sizing_mode="stretch_width", css_classes=["finance-reminders-received"]))
    return pn.Column(*parts, sizing_mode="stretch_width", css_classes=["finance-reminders-entry"])
