"""The entry app's 同步 view on an offline village installation (docs/sync.md): when the village
last synced, how many changes wait, a button that saves the change package to hand to the
township (USB, WeChat), and the import of the township's acknowledgement, with any conflict
shown as both versions and a choice. On a database that is not a village installation the view
says so in one line. Panel is imported inside the functions."""

from __future__ import annotations

import datetime as dt
import html
import io
from typing import Any

from ..errors import InputError


def _value(field, value, lang: str) -> str:
    if value is None or value == "":
        return "—"
    if field is not None and field.money and isinstance(value, int):
        return f"{value / 100:,.2f} 元" if lang == "zh" else f"¥{value / 100:,.2f}"
    if field is not None and field.choices and value in field.choices:
        return field.choices[value][0 if lang == "zh" else 1]
    if field is not None and field.sensitive:
        from ..ids import mask

        return str(mask(value, field.sensitive))
    return str(value)


def conflict_rows(conflict, lang: str = "zh") -> tuple[str, list[tuple[str, str, str]]]:
    """A conflict for people: a heading (the table and the record, by its first text value, never
    its id) and ``(field label, here, township)`` for each field that differs."""
    from ..plugins import registry

    rt = registry().tables.get(conflict.table_key)
    fields = {f.name: f for f in rt.fields} if rt else {}
    ours, theirs = conflict.ours or {}, conflict.theirs
    name = next((str(theirs[f]) for f, info in fields.items()
                 if info.python_type is str and not info.sensitive and not info.choices and theirs.get(f)), "")
    label = conflict.label_zh if lang == "zh" else conflict.label_en
    changed = sorted(c for c in theirs if c not in ("id", "region_id", "synthetic") and ours.get(c) != theirs.get(c))
    rows = [(fields[c].label(lang) if c in fields else c, _value(fields.get(c), ours.get(c), lang),
             _value(fields.get(c), theirs.get(c), lang)) for c in changed]
    return (f"{label}「{name}」" if name else label), rows


def _web_message(exc: Exception, zh: bool) -> str:
    text = getattr(exc, "zh" if zh else "en", None) or str(exc)
    if "shequ " in text or "--" in text:  # a refusal worded for the command line
        return ("这个文件不是乡镇发给本村的回执，未导入。请向乡镇索取本村最新的回执文件（文件名以 -ack.shequ 结尾）。" if zh else
                "This file is not the township's acknowledgement for this village; nothing was imported. "
                "Ask the township for this village's latest acknowledgement (a file ending in -ack.shequ).")
    return text


def sync_view(store):
    import panel as pn

    from .. import sync
    from .charts import message

    zh = store.lang == "zh"
    with store.reading() as session:
        ident = sync.identity(session)
        key, peers = sync.status(session)
    township = next((p for p in peers if p.role == "township"), None)
    if ident is None or township is None:
        return message("这里是乡镇服务器，数据直接保存，无需同步" if zh else "This is the township's server: data is saved directly, no sync needed")
    status = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-sync-message"])
    summary = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-sync-summary"])
    conflicts_box = pn.Column(sizing_mode="stretch_width", css_classes=["shequ-sync-conflicts"])
    state: dict[str, Any] = {}

    def say(text: str, ok: bool) -> None:
        colour = "#1b5e20" if ok else "#b00020"
        status.object = f'<div role="status" style="color:{colour};font-weight:600">{html.escape(text)}</div>'

    def show_status() -> None:
        with store.reading() as session:
            _, now = sync.status(session)
        t = next(p for p in now if p.role == "township")
        last = t.last_sync_at.strftime("%Y-%m-%d %H:%M") if t.last_sync_at else ("尚未同步" if zh else "never")
        summary.object = (f"<div>与 <b>{html.escape(t.region)}</b> 同步：上次 {html.escape(last)}；"
                          f"待发送的修改 <b>{t.pending}</b> 条</div>" if zh else
                          f"<div>Syncing with <b>{html.escape(t.region)}</b>: last {html.escape(last)}; "
                          f"<b>{t.pending}</b> changes waiting to be sent</div>")

    def package() -> io.BytesIO:
        try:
            with store.sdk.transaction() as session:
                data = sync.export_changes(session)
        except InputError as exc:
            say(_web_message(exc, zh), False)
            raise
        say("已生成修改包，请把文件交给乡镇（U 盘或微信）" if zh else "Change package saved: hand the file to the township (USB or WeChat)", True)
        show_status()
        return io.BytesIO(data)

    village = store.region_obj.name if store.region_obj is not None else "village"
    download = pn.widgets.FileDownload(callback=package, filename=f"{village}-{dt.date.today():%Y-%m-%d}.shequ",
                                       label="生成修改包（交乡镇）" if zh else "Save the change package (for the township)",
                                       color="primary", min_height=40, css_classes=["shequ-sync-export"])
    upload = pn.widgets.FileInput(accept=".shequ", multiple=False, css_classes=["shequ-sync-file"])
    apply_button = pn.widgets.Button(label="导入乡镇回执" if zh else "Import the township's acknowledgement", color="primary",
                                     min_height=40, css_classes=["shequ-sync-import"])

    def do_import(data: bytes, resolve: dict) -> bool:
        conflicts_box.objects = []
        try:
            with store.sdk.transaction() as session:
                result = sync.import_package(session, data, resolve=resolve)
        except sync.SyncConflict as exc:
            state["data"] = data
            show_conflicts(exc.conflicts)
            say(f"有 {len(exc.conflicts)} 处冲突：同一记录在本机和乡镇都改过，未导入任何数据；请逐条选择后再导入" if zh else
                f"{len(exc.conflicts)} conflicts: the same record changed here and at the township; nothing was imported. "
                "Choose for each, then import again", False)
            return False
        except InputError as exc:
            say(_web_message(exc, zh), False)
            return False
        store.refresh()
        if result.already_applied:
            say("这份回执已经导入过，没有变化" if zh else "This acknowledgement was imported before: nothing changed", True)
        else:
            say(f"已导入乡镇回执：{result.changed} 条记录更新" if zh else f"Acknowledgement imported: {result.changed} records updated", True)
        show_status()
        return True

    def show_conflicts(conflicts) -> None:
        choices = {}
        cards = []
        for c in conflicts:
            head, rows = conflict_rows(c, store.lang)
            table = "".join(f"<tr><td>{html.escape(f)}</td><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for f, a, b in rows)
            when = (f"本机：{c.ours_who}，{c.ours_at}；乡镇：{c.theirs_who}，{c.theirs_at}" if zh else
                    f"here: {c.ours_who}, {c.ours_at}; township: {c.theirs_who}, {c.theirs_at}")
            pick = pn.widgets.RadioButtonGroup(options={("保留本机的" if zh else "Keep ours"): "ours",
                                                        ("采用乡镇的" if zh else "Take the township's"): "theirs"},
                                               value="theirs", min_height=40, css_classes=["shequ-sync-choice"])
            choices[c.key] = pick
            cards.append(pn.Column(pn.pane.HTML(
                f"<b>{html.escape(head)}</b><div style='color:#555'>{html.escape(when)}</div>"
                f"<table class='shequ-sync-diff'><tr><th>{'项目' if zh else 'Field'}</th><th>{'本机' if zh else 'Here'}</th>"
                f"<th>{'乡镇' if zh else 'Township'}</th></tr>{table}</table>", sizing_mode="stretch_width"), pick,
                sizing_mode="stretch_width", styles={"border": "1px solid #ddd", "padding": "6px", "margin": "4px 0"}))
        again = pn.widgets.Button(label="按所选导入" if zh else "Import with these choices", color="primary", min_height=40,
                                  css_classes=["shequ-sync-resolve"])
        again.on_click(lambda _e: do_import(state["data"], {k: w.value for k, w in choices.items()}))
        state["choices"] = choices
        conflicts_box.objects = [*cards, again]

    def on_import(_e=None) -> bool:
        if not upload.value:
            say("请先选择乡镇发回的回执文件" if zh else "Choose the township's acknowledgement file first", False)
            return False
        return do_import(bytes(upload.value), {})

    apply_button.on_click(on_import)
    show_status()
    view = pn.Column(
        summary, status, download,
        pn.pane.HTML(f"<b>{'乡镇回执' if zh else 'Acknowledgement from the township'}</b>", sizing_mode="stretch_width"),
        pn.FlexBox(upload, apply_button, sizing_mode="stretch_width"), conflicts_box,
        sizing_mode="stretch_width", css_classes=["shequ-sync"])
    view.import_bytes = lambda data, resolve=None: do_import(data, resolve or {})  # a notebook or a test
    view.resolve = lambda: state["choices"]
    view.package = package
    return view
