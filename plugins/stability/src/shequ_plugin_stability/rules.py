"""Validation rules for mediation cases, parties, follow-up visits and patrols (DOMAIN.md §6).

Row rules look related rows up once per village per batch (``ctx.memo``); deadlines come from
the Settings of the row's township.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shequ_sdk import Problem, Rule

from .models import CASE_NO, CASE_STATUS, CONCLUDED_STATUS, OPEN_STATUS, FollowUpVisit, MediationCase, MediationParty, Patrol
from .settings import EXTENSION_DAYS, JUDICIAL_DAYS, MEDIATION_DAYS, due_date, setting_for

CASE = MediationCase.__tablename__
PARTY = MediationParty.__tablename__
FOLLOW_UP = FollowUpVisit.__tablename__
PATROL = Patrol.__tablename__


def _status(code: str) -> str:
    return CASE_STATUS[code][0]


def case_number(row, ctx):
    m = CASE_NO.match(row.case_no)
    if m is None:
        yield Problem("卷号格式应为“(年份)简称人调字第N号”，如 (2010)新尚人调字第12号",
                      "the case no. must look like (YEAR)<committee>人调字第N号, e.g. (2010)新尚人调字第12号", field="case_no", value=row.case_no)
        return
    if int(m["year"]) != row.registered_on.year:
        yield Problem(f"卷号年份 {m['year']} 与受理日期 {row.registered_on} 不符", f"the case no. year {m['year']} differs from the registration date {row.registered_on}",
                      field="case_no", value=row.case_no)
    seen = ctx.memo("stability_seen_case_no", dict)
    first = seen.setdefault((row.region_id, row.case_no), ctx.row_number)
    if first != ctx.row_number:
        yield Problem(f"卷号与第 {first} 行重复", f"the case no. repeats row {first}", field="case_no", value=row.case_no)


def case_dates(row, ctx):
    registered, closed, agreed = row.registered_on, row.closed_on, row.agreement_on
    if registered > ctx.today:
        yield Problem("受理日期不能晚于今天", "the registration date is in the future", field="registered_on", value=registered)
    if closed is not None:
        if closed < registered:
            yield Problem(f"结案日期早于受理日期（{registered}）", f"closed before it was registered ({registered})", field="closed_on", value=closed)
        if closed > ctx.today:
            yield Problem("结案日期不能晚于今天", "the closing date is in the future", field="closed_on", value=closed)
    if agreed is not None:
        if agreed < registered:
            yield Problem(f"协议生效日期早于受理日期（{registered}）", f"agreement dated before the case was registered ({registered})",
                          field="agreement_on", value=agreed)
        if closed is not None and agreed > closed:
            yield Problem(f"协议生效日期晚于结案日期（{closed}）", f"agreement dated after the case was closed ({closed})", field="agreement_on", value=agreed)


def case_status(row, ctx):
    status, closed = row.status, row.closed_on
    if status in CONCLUDED_STATUS and closed is None:
        yield Problem(f"状态为“{_status(status)}”的案件须填写结案日期", f"a case that is {CASE_STATUS[status][1]} needs a closing date",
                      field="closed_on", value=None)
    if status in OPEN_STATUS and closed is not None:
        yield Problem(f"状态为“{_status(status)}”的案件不应有结案日期", f"a case still {CASE_STATUS[status][1]} cannot have a closing date",
                      field="closed_on", value=closed)


def case_agreement(row, ctx):
    status, form = row.status, row.agreement_form
    if status == "success":
        if form is None:
            yield Problem("调解成功的案件须注明协议形式（书面或口头）", "a settled case needs the agreement form (written or oral)",
                          field="agreement_form", value=None)
        if row.agreement_on is None:
            yield Problem("调解成功的案件须填写协议生效日期", "a settled case needs the date its agreement took effect", field="agreement_on", value=None)
        return
    if form is not None:
        yield Problem(f"状态为“{_status(status)}”的案件没有调解协议", f"a case that is {CASE_STATUS[status][1]} has no agreement",
                      field="agreement_form", value=form)
    if row.agreement_on is not None:
        yield Problem(f"状态为“{_status(status)}”的案件没有调解协议", f"a case that is {CASE_STATUS[status][1]} has no agreement",
                      field="agreement_on", value=row.agreement_on)
    if row.amount_fen:
        yield Problem("协议涉及金额只适用于调解成功的案件", "an agreement amount applies only to a settled case", field="amount_fen", value=row.amount_fen)


def judicial_confirmation(row, ctx):
    if row.judicial_confirmation == "none":
        if row.judicial_applied_on is None:
            return
        yield Problem("填写了申请司法确认日期，司法确认状态不能为“无”", "a judicial confirmation application date needs a confirmation status",
                      field="judicial_confirmation", value=row.judicial_confirmation)
        return
    if row.agreement_form != "written":
        yield Problem("司法确认须以书面调解协议为基础", "judicial confirmation needs a written mediation agreement",
                      field="judicial_confirmation", value=row.judicial_confirmation)
    if row.judicial_applied_on is None:
        yield Problem("请填写申请司法确认的日期", "give the date judicial confirmation was applied for", field="judicial_applied_on", value=None)
        return
    if row.judicial_applied_on > ctx.today:
        yield Problem("申请司法确认日期不能晚于今天", "the application date is in the future", field="judicial_applied_on", value=row.judicial_applied_on)
    if row.agreement_on is not None:
        days = setting_for(ctx, JUDICIAL_DAYS, row.region_id)
        if row.judicial_applied_on < row.agreement_on:
            yield Problem(f"申请司法确认日期早于协议生效日期（{row.agreement_on}）", f"applied before the agreement took effect ({row.agreement_on})",
                          field="judicial_applied_on", value=row.judicial_applied_on)
        elif row.judicial_applied_on > row.agreement_on + timedelta(days=days):
            yield Problem(f"应在协议生效后 {days} 日内申请司法确认（协议生效 {row.agreement_on}，申请 {row.judicial_applied_on}）",
                          f"judicial confirmation must be applied for within {days} days of the agreement ({row.agreement_on}); applied {row.judicial_applied_on}",
                          field="judicial_applied_on", value=row.judicial_applied_on)


def case_deadline(row, ctx):
    due, registered = row.due_on, row.registered_on
    if due is None:
        return
    if due < registered:
        yield Problem(f"调解期限早于受理日期（{registered}）", f"due before the case was registered ({registered})", field="due_on", value=due)
        return
    region_id = row.region_id
    days = setting_for(ctx, MEDIATION_DAYS, region_id)
    if due <= due_date(registered, days):
        return
    extra = setting_for(ctx, EXTENSION_DAYS, region_id)
    if not row.extension_agreed:
        yield Problem(f"调解期限超过受理后 {days} 天，须经双方当事人同意延期", f"a due date beyond {days} days needs both parties' consent to the extension",
                      field="due_on", value=due)
    elif due > due_date(registered, days, extra):
        yield Problem(f"调解期限最多为受理后 {days + extra} 天（含经同意延长的 {extra} 天）",
                      f"the due date can be at most {days + extra} days after registration (including the {extra}-day extension)",
                      field="due_on", value=due)


def closed_late(row, ctx):
    if row.closed_on is None or row.status not in CONCLUDED_STATUS:
        return
    due = row.due_on or due_date(row.registered_on, setting_for(ctx, MEDIATION_DAYS, row.region_id))
    if row.closed_on > due:
        yield Problem(f"超过调解期限（{due}）{(row.closed_on - due).days} 天结案", f"closed {(row.closed_on - due).days} days after the due date {due}",
                      field="closed_on", value=row.closed_on)


def _cases_of(ctx, region_id: int) -> dict[int, tuple]:
    """``{case id: (registered_on, status, agreement_on)}`` for a village's cases."""
    return ctx.memo(("stability_cases", region_id), lambda: {
        r.id: (r.registered_on, r.status, r.agreement_on)
        for r in ctx.session.execute(select(MediationCase.id, MediationCase.registered_on, MediationCase.status, MediationCase.agreement_on)
                                     .where(MediationCase.region_id == region_id))})


def party_case(row, ctx):
    if row.case_id not in _cases_of(ctx, row.region_id):
        yield Problem("该案件不在本村登记", "no such mediation case registered in this village", field="case_id", value=row.case_id)


def party_gender(row, ctx):
    # GB 11643: the 17th character is odd for men and even for women
    gender, idno = row.gender, row.id_number
    if gender and idno and len(idno) == 18 and idno[16] in "0123456789":
        if (idno[16] in "13579") != (gender == "male"):
            yield Problem("性别与身份证号不符（第 17 位奇数为男、偶数为女）", "the gender does not match the ID number (17th digit odd for men, even for women)",
                          field="gender", value=gender)


def follow_up_case(row, ctx):
    visit = row.visit_date
    if visit > ctx.today:
        yield Problem("回访日期不能晚于今天", "the visit date is in the future", field="visit_date", value=visit)
    case = _cases_of(ctx, row.region_id).get(row.case_id)
    if case is None:
        yield Problem("该案件不在本村登记", "no such mediation case registered in this village", field="case_id", value=row.case_id)
        return
    registered, status, agreement_on = case
    if visit < registered:
        yield Problem(f"回访日期早于受理日期（{registered}）", f"visit dated before the case was registered ({registered})",
                      field="visit_date", value=visit)
    if row.performance is not None and status != "success":
        yield Problem(f"案件状态为“{_status(status)}”，没有调解协议可回访履行情况", f"the case is {CASE_STATUS[status][1]}: there is no agreement whose performance to check",
                      field="performance", value=row.performance)
    if status == "success" and agreement_on is not None and visit < agreement_on:
        yield Problem(f"回访日期早于协议生效日期（{agreement_on}）", f"visit dated before the agreement took effect ({agreement_on})",
                      field="visit_date", value=visit)


def follow_up_measures(row, ctx):
    if row.escalation_risk in ("medium", "high") and not (row.measures or "").strip():
        yield Problem("存在激化风险，须记录采取的措施", "a risk of escalation needs the measures taken", field="measures", value=None)


def patrol_date(row, ctx):
    if row.patrol_date > ctx.today:
        yield Problem("巡逻日期不能晚于今天", "the patrol date is in the future", field="patrol_date", value=row.patrol_date)


def patrol_issue_note(row, ctx):
    if row.issues_found and not (row.issues_note or "").strip():
        yield Problem("发现了问题，请记录问题及处理情况", "issues were found: record them and the action taken", field="issues_note", value=None)


def cases_have_parties(session):
    """Every accepted case should list at least two parties (a dispute has two sides)."""
    parties = (select(MediationParty.case_id, func.count().label("n")).group_by(MediationParty.case_id).subquery())
    stmt = (
        select(MediationCase.id, MediationCase.case_no, func.coalesce(parties.c.n, 0))
        .outerjoin(parties, parties.c.case_id == MediationCase.id)
        .where(MediationCase.status != "rejected", func.coalesce(parties.c.n, 0) < 2)
        .order_by(MediationCase.id)
    )
    for cid, case_no, n in session.execute(stmt):
        yield Problem(f"案件只登记了 {n} 名当事人（至少应有 2 名）", f"the case lists {n} parties (a dispute has at least 2)",
                      table=CASE, row=cid, field="case_no", value=case_no)


def not_blank(*fields):
    """A check that required text fields hold more than whitespace."""
    def check(row, ctx):
        for name in fields:
            value = getattr(row, name)
            if value is not None and not str(value).strip():
                yield Problem("必填项不能为空白", "a required value cannot be blank", field=name, value=value)
    return check


RULES = (
    Rule(key="stability.case_not_blank", label_zh="案件必填项不为空白", label_en="Case required text not blank", table=CASE,
         check_row=not_blank("mediator")),
    Rule(key="stability.party_not_blank", label_zh="当事人姓名不为空白", label_en="Party name not blank", table=PARTY, check_row=not_blank("name")),
    Rule(key="stability.follow_up_not_blank", label_zh="回访人不为空白", label_en="Visitor not blank", table=FOLLOW_UP, check_row=not_blank("visitor")),
    Rule(key="stability.patrol_not_blank", label_zh="巡逻队不为空白", label_en="Patrol team not blank", table=PATROL, check_row=not_blank("team")),
    Rule(key="stability.case_number", label_zh="卷号格式正确且不重复", label_en="Case no. well-formed and unique", table=CASE, check_row=case_number),
    Rule(key="stability.case_dates", label_zh="受理、协议、结案日期先后合理", label_en="Case dates in order", table=CASE, check_row=case_dates),
    Rule(key="stability.case_status", label_zh="办理状态与结案日期一致", label_en="Status matches the closing date", table=CASE, check_row=case_status),
    Rule(key="stability.case_agreement", label_zh="调解成功须有协议，其余不得有协议", label_en="Only settled cases have an agreement",
         table=CASE, check_row=case_agreement),
    Rule(key="stability.judicial_confirmation", label_zh="司法确认：书面协议、30 日内申请", label_en="Judicial confirmation: written agreement, applied within 30 days",
         table=CASE, check_row=judicial_confirmation),
    Rule(key="stability.case_deadline", label_zh="调解期限合理（延期须双方同意）", label_en="Due date within the limit (extension needs consent)",
         table=CASE, check_row=case_deadline),
    Rule(key="stability.closed_late", label_zh="按期结案", label_en="Closed by the due date", table=CASE, check_row=closed_late, severity="warning"),
    Rule(key="stability.cases_have_parties", label_zh="案件至少有两名当事人", label_en="Cases list at least two parties",
         check_db=cases_have_parties, severity="warning"),
    Rule(key="stability.party_case", label_zh="当事人属于本村案件", label_en="Party belongs to a case of this village", table=PARTY, check_row=party_case),
    Rule(key="stability.party_gender", label_zh="性别与身份证号一致", label_en="Gender matches the ID number", table=PARTY, check_row=party_gender),
    Rule(key="stability.follow_up_case", label_zh="回访对应本村案件及其协议", label_en="Follow-up matches a case and its agreement",
         table=FOLLOW_UP, check_row=follow_up_case),
    Rule(key="stability.follow_up_measures", label_zh="激化风险须有措施", label_en="Escalation risk needs measures", table=FOLLOW_UP,
         check_row=follow_up_measures),
    Rule(key="stability.patrol_date", label_zh="巡逻日期不晚于今天", label_en="Patrol not in the future", table=PATROL, check_row=patrol_date),
    Rule(key="stability.patrol_issue_note", label_zh="发现问题须记录处理情况", label_en="Issues found are described", table=PATROL,
         check_row=patrol_issue_note, severity="warning"),
)
