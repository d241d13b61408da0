"""The dashboards' own words, in Chinese and English.

Labels of tables, fields and indicators are not here: they are metadata that plugins register.
This file holds only what the dashboards themselves say (titles, buttons, messages).
"""

from __future__ import annotations

LANGS = {"zh": "中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    # titles
    "township.title": ("乡镇看板", "Township dashboard"),
    "entry.title": ("村务录入", "Village data entry"),
    # selectors
    "area": ("县/乡镇", "County or township"),
    "village": ("村/社区", "Village or community"),
    "period": ("期间", "Period"),
    "quarter": ("季度", "Quarter"),
    "kind.year": ("年度", "Year"),
    "kind.quarter": ("季度", "Quarter"),
    "kind.month": ("月度", "Month"),
    "refresh": ("刷新数据", "Refresh"),
    # township dashboard
    "kpis": ("核心指标", "Headline indicators"),
    "village_table": ("各村（社区）核心指标", "Headline indicators by village"),
    "village_table.hint": ("点击村名打开该村主页；点击表头排序", "Click a village to open its page; click a header to sort"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "charts": ("专题图表", "Charts"),
    "export_pdf": ("导出 PDF", "Export PDF"),
    "report.file": ("乡镇看板", "township-dashboard"),
    "report.printed": ("打印日期", "Printed on"),
    "no_villages": ("该地区没有村或社区", "This area has no villages or communities"),
    "no_data": ("本期间没有数据", "No data for this period"),
    "updating": ("更新中…", "Updating…"),
    "view_error": ("视图「{label}」无法显示", "The view “{label}” could not be shown"),
    "view_error.rest": ("其余部分不受影响。错误：{error}", "The rest of the page is unaffected. Error: {error}"),
    # village page
    "back": ("← 返回看板", "← Back to the dashboard"),
    "associations": ("协会与社会组织", "Associations"),
    "honours": ("荣誉", "Honours"),
    "recent_records": ("近期记录", "Recent records"),
    "recent.count": ("{table}：本年 {count} 条", "{table}: {count} this year"),
    "recent.sensitive": ("含个人敏感信息，看板只显示条数", "Holds sensitive personal data: the dashboard shows only the count"),
    "none": ("无", "None"),
    "more": ("更多（还有 {n} 条）", "More ({n} left)"),
    "recent.search": ("搜索本年记录（姓名、户号、事项……）", "Search this year's records (names, household numbers, matters…)"),
    "recent.found": ("{table}：本年 {count} 条，其中 {found} 条含“{query}”", "{table}: {found} of {count} this year contain \"{query}\""),
    "recent.none_found": ("本年记录中没有含“{query}”的", "No record of this year contains \"{query}\""),
    "recent.unknown": ("（已删除）", "(deleted)"),
    "village_views": ("专题", "Topics"),
    # entry app
    "entry.pick": ("请选择村（社区）和季度", "Pick a village and a quarter"),
    "entry.records": ("录入记录", "Records"),
    "entry.import": ("表格导入", "Spreadsheet import"),
    "entry.table": ("记录类型", "Record type"),
    "entry.new": ("新建", "New"),
    "entry.save": ("保存", "Save"),
    "entry.saved": ("已保存 {n} 条记录（{table}）", "Saved {n} record(s) ({table})"),
    "entry.nothing": ("没有需要保存的内容", "Nothing to save"),
    "entry.invalid": ("有 {n} 处需要修改，未保存任何数据", "{n} problem(s) to fix; nothing was saved"),
    "entry.existing": ("本期已有记录（点击一行可修改）", "Records already entered for this period (click a row to correct it)"),
    "entry.existing_all": ("已有记录（点击一行可修改）", "Records on file (click a row to correct it)"),
    "entry.editing": ("正在修改：{what}", "Correcting: {what}"),
    "entry.creating": ("新记录", "New record"),
    "entry.draft_restored": ("已恢复 {when} 未保存的填写内容（{n} 项），核对后请保存", "Restored {n} unsaved entries typed at {when}: check them, then save"),
    "entry.draft_discard": ("丢弃草稿", "Discard draft"),
    "grid.draft_restored": ("已恢复 {when} 未保存的 {n} 行，核对后请保存", "Restored {n} unsaved rows typed at {when}: check them, then save"),
    "entry.keep_secret": ("已登记：{masked}（留空则保持不变）", "On file: {masked} (leave blank to keep)"),
    "entry.money_hint": ("单位：元", "in yuan"),
    "entry.money_bad": ("请输入金额（元），最多两位小数，如 1234.50", "Enter an amount in yuan with at most two decimals, e.g. 1234.50"),
    "entry.blank": ("（空）", "(blank)"),
    "entry.not_listed": ("（不在本村名单中）", "(not in this village's list)"),
    "entry.number_hint": ("填数字，如 12.5", "a number, e.g. 12.5"),
    "entry.date_hint": ("如 2011-04-06 或 2011年4月6日", "e.g. 2011-04-06"),
    "entry.locked_readonly": ("本季度的表单只读；授予例外后刷新本页即可保存。",
                              "The forms of this quarter are read-only; once an exception is granted, reload this page to save."),
    "entry.leave": ("有未保存的输入，切换后将丢失。确定切换吗？", "There is unsaved input that will be lost. Switch anyway?"),
    "entry.yes": ("是", "yes"),
    "entry.no": ("否", "no"),
    "entry.no_tables": ("没有可录入的数据表", "No tables to enter"),
    "entry.too_many": ("只显示前 {n} 条", "Showing the first {n}"),
    # grid mode of the entry app: many rows of one table
    "entry.mode_form": ("逐条录入", "One by one"),
    "entry.mode_grid": ("表格录入", "Grid"),
    "grid.help": ("每行一条记录，空行不保存；单元格按文字填写，保存时统一检查（金额单位为元）。点选一个单元格后可「向下填充」。",
                  "One record a row; empty rows are not saved. Cells are typed as text and checked on save (amounts in yuan). "
                  "Click a cell, then Fill down."),
    "grid.row": ("行", "Row"),
    "grid.problems": ("问题", "Problems"),
    "grid.add_rows": ("添加 {n} 行", "Add {n} rows"),
    "grid.fill_down": ("向下填充", "Fill down"),
    "grid.pick_cell": ("请先点选要向下填充的那一列中的一个单元格", "Click a cell of the column to fill down first"),
    "grid.nothing_to_fill": ("「{column}」列没有可向下填充的内容", "The column “{column}” has nothing to fill down"),
    "grid.no_empty_below": ("「{column}」列第 {row} 行以下没有空白单元格", "The column “{column}” has no empty cell below row {row}"),
    "grid.filled": ("已把第 {row} 行的「{value}」向下填充到 {n} 个空白单元格（{column}）",
                    "Filled “{value}” of row {row} down into {n} empty cell(s) ({column})"),
    "grid.paste": ("从 Excel 粘贴", "Paste from Excel"),
    "grid.paste_hint": ("在 Excel 中选中若干行（可连同表头一行）复制，粘贴到这里，再点「填入表格」",
                        "Copy rows in Excel (with the header row if you like), paste them here, then Fill the grid"),
    "grid.paste_fill": ("填入表格", "Fill the grid"),
    "grid.paste_empty": ("没有可填入的内容：请先把 Excel 中复制的行粘贴到上面", "Nothing to fill: paste rows copied from Excel above first"),
    "grid.paste_unknown": ("第 {line} 行第 {col} 列「{text}」不是本表的列，未填入任何内容；本表的列：{columns}",
                           "Line {line}, column {col}: “{text}” is not a column of this table; nothing was filled. Columns: {columns}"),
    "grid.paste_twice": ("第 {line} 行第 {col} 列「{text}」与前面的列重复，未填入任何内容",
                         "Line {line}, column {col}: “{text}” names a column twice; nothing was filled"),
    "grid.paste_wide": ("第 {line} 行有 {n} 列，多于表格的 {k} 列（从第 {col} 列起多出），未填入任何内容",
                        "Line {line} has {n} columns, more than the grid's {k} (from column {col}); nothing was filled"),
    "grid.paste_wide_header": ("第 {line} 行有 {n} 列，多于表头的 {k} 列（从第 {col} 列起多出），未填入任何内容",
                               "Line {line} has {n} columns, more than the header's {k} (from column {col}); nothing was filled"),
    "grid.pasted": ("已填入 {n} 行（表格第 {first}–{last} 行），核对后请保存", "Filled {n} row(s) (grid rows {first}–{last}): check them, then save"),
    "grid.where": ("第 {row} 行", "Row {row}"),
    # period-lock exception requests: the village asks (entry app), the township decides (dashboard)
    "kpi.compare": ("{area}：{value}", "{area}: {value}"),
    "lockreq.title": ("申请例外", "Ask for an exception"),
    "lockreq.reason": ("申请原因（必填）", "Reason (required)"),
    "lockreq.placeholder": ("如：12月的凭证漏录，需要补录", "e.g. December's vouchers were missed and must be entered"),
    "lockreq.submit": ("提交申请", "Submit the request"),
    "lockreq.not_yours": ("例外由本村（社区）的填报人员或乡镇工作人员申请；如需补录，请与他们联系。",
                          "An exception is asked for by those who enter the village's records or by township staff: please contact them."),
    "lockreq.need_reason": ("请写明申请原因", "Please give a reason"),
    "lockreq.pending": ("已申请，等待乡镇审批（{when} 提交）", "Requested on {when}: awaiting the township's decision"),
    "lockreq.refused": ("乡镇已于 {when} 驳回上次申请，原因：{reason}", "The township refused the last request on {when}: {reason}"),
    "lockreq.failed": ("未能提交申请：{error}", "The request was not submitted: {error}"),
    "lockreq.panel": ("例外申请", "Exception requests"),
    "lockreq.none": ("无待审批的例外申请", "No exception requests awaiting a decision"),
    "lockreq.asked": ("{who} 于 {when} 申请", "Asked by {who} on {when}"),
    "lockreq.until": ("有效期至", "Valid until"),
    "lockreq.grant": ("批准", "Grant"),
    "lockreq.refuse": ("驳回", "Refuse"),
    "lockreq.refuse_reason": ("驳回原因（必填）", "Reason for refusing (required)"),
    "lockreq.granted": ("已批准{village}{quarter}的例外，有效期至 {until}", "Granted {village} an exception for {quarter} until {until}"),
    "lockreq.refused_done": ("已驳回{village}{quarter}的例外申请", "Refused the exception request of {village} for {quarter}"),
    "lockreq.decide_failed": ("未能处理，未做任何更改：{error}", "Nothing was changed: {error}"),
    "lockreq.local": ("本机用户", "the local user"),
    # spreadsheet import
    "import.template": ("下载填报模板", "Download a template"),
    "import.upload": ("上传 .xlsx、.xls、.ods 或 CSV 文件", "Upload an .xlsx, .xls, .ods or CSV file"),
    "import.too_big": ("文件过大：{size} MB，网页上传的上限是 {limit} MB；请把文件拆成几份", "The file is too large: {size} MB; uploads are limited to {limit} MB"),
    "import.busy": ("正在检查文件，请稍候……", "Checking the file…"),
    "import.hidden_rows": ("隐藏的行", "Hidden rows"),
    "import.hidden_columns": ("隐藏的列", "Hidden columns"),
    "import.hidden_refuse": ("拒绝导入（默认）", "Refuse (default)"),
    "import.hidden_skip": ("跳过", "Skip them"),
    "import.hidden_include": ("照常导入", "Import them"),
    "import.check": ("检查文件", "Check the file"),
    "import.confirm": ("确认导入", "Confirm the import"),
    "import.no_file": ("请先选择文件", "Choose a file first"),
    "import.plan": ("将要写入", "What the import will do"),
    "import.problems": ("问题", "Problems"),
    "import.more": ("… 另有 {n} 行", "… {n} more"),
    # errors
}


def t(key: str, lang: str = "zh", **fmt) -> str:
    """The string ``key`` in ``lang`` (``zh`` or ``en``), with ``{placeholders}`` filled in."""
    zh, en = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def pick(zh: str, en: str, lang: str = "zh") -> str:
    return zh if lang == "zh" else en
