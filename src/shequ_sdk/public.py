"""The public disclosure portal (村务公开): what villagers read without signing in.

Three pages, served by ``shequ serve`` under ``/public`` (:mod:`shequ_sdk.ui.public_web`) and
written as a static site by ``shequ publish`` — both render through :func:`render_page`:

- ``/public``: the counties' townships and villages (a search box filters them by name);
- ``/public/<village>``: the village's boards (党务, 村务/居务, 财务) by quarter, newest first,
  each posting as on the paper board (items, totals in 元, who reviewed, approved and published
  it and when, version, fingerprint), with the residents' questions whose replies the village
  published, and a form to ask one (server only);
- ``/public/v/<fingerprint>``: what a board's QR code opens: registered and current, corrected
  by a later version (with the date and reason and a link to the current one), or unknown.

Only published and superseded postings are read (:data:`PUBLIC_STATUSES`); a draft, a reviewed
or an approved posting never reaches these pages. Names are those printed on the paper board;
a question's asker shows masked (:func:`shequ_sdk.ids.mask`), a phone number never.

The setting ``public.base_url`` (per county) is the portal's public address: with it a board's
QR code encodes ``<base_url>/public/v/<fingerprint>`` (:func:`verification_url`).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Optional
from urllib.parse import quote

from sqlalchemy import select
from sqlmodel import Session

from .models import Region
from .period import Period
from .registry import Setting

BASE_URL = "public.base_url"
SETTINGS = [
    Setting(key=BASE_URL, default="", label_zh="公开栏网址（扫码核对）", label_en="Public portal address (QR verification)",
            description_zh="如 https://gongkai.example.gov.cn ；设置后公开栏二维码为本网址下的核对页面",
            description_en="e.g. https://gongkai.example.gov.cn; when set, a board's QR code opens its verification page there"),
]
PUBLIC_STATUSES = ("published", "superseded")
BOARD_ORDER = ("party", "village", "residents", "finance")
VILLAGE_KINDS = ("village", "community")


# -- addresses ------------------------------------------------------------------------------------

def verification_url(session: Session, region_id: int, fingerprint: str) -> Optional[str]:
    """``<public.base_url>/public/v/<short fingerprint>`` for a posting of ``region_id``, or ``None``
    when its county has no public address set."""
    from . import config

    region = session.get(Region, region_id)
    base = (config.get(session, BASE_URL, region) or "").strip().rstrip("/")
    if not base:
        return None
    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    return f"{base}/public/v/{workflow.short_fingerprint(fingerprint)}"


class Links:
    """Addresses between public pages: absolute under ``/public`` on the server; relative
    ``…/index.html`` files in a static site (``depth`` = how deep the page is below its root)."""

    def __init__(self, static: bool = False, depth: int = 0):
        self.static, self.depth = static, depth

    def page(self, *parts: str) -> str:
        path = "/".join(quote(p, safe="") for p in parts if p)
        if not self.static:
            return "/public" + (f"/{path}" if path else "")
        return "../" * self.depth + (f"{path}/" if path else "") + "index.html"

    def home(self) -> str:
        return self.page()

    def village(self, slug: str) -> str:
        return self.page(slug)

    def verify(self, fingerprint: str) -> str:
        return self.page("v", fingerprint)


# -- regions --------------------------------------------------------------------------------------

def _villages(session: Session, county: Optional[Region] = None) -> list[Region]:
    q = select(Region).where(Region.kind.in_(VILLAGE_KINDS))
    if county is not None:
        q = q.where(Region.county_id == county.id)
    return list(session.execute(q.order_by(Region.id)).scalars())


def slugs(session: Session) -> dict[int, str]:
    """``{village id: address part}``: the village's name, or ``镇名-村名`` where two villages
    share a name (the address never shows an internal id)."""
    villages = _villages(session)
    townships = {r.id: r.name for r in session.execute(select(Region).where(Region.kind == "township")).scalars()}
    count: dict[str, int] = {}
    for v in villages:
        count[v.name] = count.get(v.name, 0) + 1
    return {v.id: v.name if count[v.name] == 1 else f"{townships.get(v.township_id, '')}-{v.name}" for v in villages}


def find_village(session: Session, slug: str) -> Optional[Region]:
    for rid, s in slugs(session).items():
        if s == slug:
            return session.get(Region, rid)
    return None


def index_data(session: Session, county: Optional[Region] = None) -> dict[str, Any]:
    """The counties (or ``county``) with their townships and villages, and how many postings each
    village has published."""
    P = _posting_model()
    counts = dict(session.execute(select(P.region_id, _count()).where(P.status == "published").group_by(P.region_id)).all())
    names = slugs(session)
    regions = {r.id: r for r in session.execute(select(Region)).scalars()}
    counties: dict[int, dict] = {}
    for v in _villages(session, county):
        c = regions.get(v.county_id)
        t = regions.get(v.township_id)
        if c is None or t is None:
            continue
        cd = counties.setdefault(c.id, {"name": c.name, "townships": {}})
        td = cd["townships"].setdefault(t.id, {"name": t.name, "villages": []})
        td["villages"].append({"name": v.name, "slug": names[v.id], "kind": "社区" if v.kind == "community" else "村",
                               "postings": counts.get(v.id, 0)})
    from .audit import head, short_hash

    seq, digest = head(session)
    return {"counties": [{"name": c["name"], "townships": list(c["townships"].values())} for c in counties.values()],
            "audit_head": {"seq": seq, "hash": digest, "short": short_hash(digest)}}


def _count():
    from sqlalchemy import func

    return func.count()


def _posting_model():
    from .boards import _tables

    return _tables()[0].model


# -- a village's boards ---------------------------------------------------------------------------

@dataclass
class Question:
    asked_on: dt.date
    asker: str
    text: str
    replied_on: Optional[dt.date]
    reply: Optional[str]


@dataclass
class Quarter:
    label: str
    boards: list[dict] = field(default_factory=list)  # {"label", "postings": [BoardPosting]}


def village_data(session: Session, village: Region) -> dict[str, Any]:
    """The village's published postings grouped by quarter (newest first) and board, each as on
    the paper board, with the questions whose replies were published."""
    from .boards import board_posting
    from .ids import mask

    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    questions_mod = importlib.import_module("shequ_plugin_finance.questions")
    P = _posting_model()
    posts = session.execute(select(P).where(P.region_id == village.id, P.status == "published")).scalars().all()
    grouped: dict[Period, dict[str, list]] = {}
    for post in posts:
        try:
            pp = Period.parse(post.period)
        except Exception:
            continue
        quarter = pp if pp.kind == "quarter" else Period.containing(pp.start, "quarter")
        grouped.setdefault(quarter, {}).setdefault(post.board, []).append((pp, post))
    public_qs = questions_mod.public_questions(session, [p.id for p in posts])
    quarters = []
    cache: dict = {}
    for q in sorted(grouped, reverse=True):
        quarter = Quarter(label=q.label("zh"))
        for board in sorted(grouped[q], key=lambda b: BOARD_ORDER.index(b) if b in BOARD_ORDER else 99):
            items = sorted(grouped[q][board], key=lambda t: (t[0], t[1].kind != "regular", t[1].posted_on or dt.date.max, t[1].id))
            shown = []
            for pp, post in items:
                bp = board_posting(session, post, pp.label("zh"), qr=False, cache=cache)
                bp.questions = [Question(r.received_on, mask(r.asker_name, "name") if r.asker_name else "匿名", r.subject,
                                         r.replied_on, r.reply_text) for r in public_qs.get(post.id, [])]
                bp.ask_key = workflow.short_fingerprint(post.fingerprint)
                shown.append(bp)
            quarter.boards.append({"label": workflow.board_label(board), "postings": shown})
        quarters.append(quarter)
    township = session.get(Region, village.township_id)
    return {"village": village.name, "township": township.name if township else "", "quarters": quarters}


# -- verification --------------------------------------------------------------------------------

def verification_data(session: Session, fingerprint: str) -> dict[str, Any]:
    """What the QR code's page says: ``state`` is ``current``, ``superseded`` or ``unknown``."""
    from .errors import InputError

    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    try:
        rows = workflow.find_by_fingerprint(session, fingerprint)
    except InputError:
        rows = []
    if not rows:
        return {"state": "unknown", "fingerprint": fingerprint}
    row = rows[0]
    names = slugs(session)
    out = {"state": "current" if row["current"] else "superseded", "fingerprint": workflow.short_fingerprint(row["fingerprint"]),
           "version": row["version"], "title": row["title"], "period": _period_label(row["period"]), "board": workflow.board_label(row["board"]),
           "village": row["region_name"], "slug": names.get(row["region_id"]), "posted_on": row["posted_on"], "intact": row["intact"]}
    if not row["current"]:
        chain = [v for v in workflow.versions(session, row["id"]) if v["status"] in PUBLIC_STATUSES]
        later = [v for v in chain if v["version"] > row["version"]]
        current = next((v for v in chain if v["status"] == "published"), later[-1] if later else None)
        if current is not None:
            out.update(current_version=current["version"], current_fingerprint=workflow.short_fingerprint(current["fingerprint"]),
                       corrected_on=current["posted_on"], reason=later[0]["correction_reason"] if later else current["correction_reason"])
    return out


def _period_label(text: str) -> str:
    """``2009Q1`` → ``2009年第1季度`` (the stored text if it does not parse)."""
    try:
        return Period.parse(text).label("zh")
    except Exception:
        return text


# -- rendering -----------------------------------------------------------------------------------

_ENV: list = []


def _env():
    import jinja2

    if not _ENV:
        loader = jinja2.FunctionLoader(lambda name: resources.files("shequ_sdk").joinpath(f"templates/public/{name}").read_text(encoding="utf-8"))
        _ENV.append(jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                       trim_blocks=True, lstrip_blocks=True))
    return _ENV[0]


def render(template: str, links: Links, **context) -> str:
    return _env().get_template(template).render(links=links, **context)


def render_page(session: Session, parts: list[str], links: Links, *, form: Optional[dict] = None) -> tuple[int, str]:
    """``(HTTP status, HTML)`` of the public page at ``parts`` (``[]``, ``[village]``,
    ``["v", fingerprint]``). ``form``: the question form's token and challenge (server only; a
    static site has none)."""
    if not parts:
        return 200, render("index.html", links, **index_data(session))
    if len(parts) == 2 and parts[0] == "v":
        # an unregistered fingerprint is an answer (200), not a missing page: the villager scanned a real code
        return 200, render("verify.html", links, **verification_data(session, parts[1]))
    if len(parts) == 1:
        village = find_village(session, parts[0])
        if village is not None:
            return 200, render("village.html", links, form=form, **village_data(session, village))
    return 404, render("missing.html", links)


def all_pages(session: Session, county: Optional[Region] = None) -> list[list[str]]:
    """Every page of a static site: the index, each village's page, and the verification page
    of every published or superseded posting (of ``county``, else of every county)."""
    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    P = _posting_model()
    names = slugs(session)
    villages = [v.id for v in _villages(session, county)]
    pages: list[list[str]] = [[]] + [[names[v]] for v in villages]
    fps = session.execute(select(P.fingerprint).where(P.status.in_(PUBLIC_STATUSES), P.fingerprint.is_not(None),
                                                      P.region_id.in_(villages)).order_by(P.id)).scalars().all()
    pages += [["v", workflow.short_fingerprint(fp)] for fp in fps]
    return pages


# -- static site ---------------------------------------------------------------------------------

@dataclass
class PublishReport:
    out: str
    pages: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    fingerprints: int = 0


def page_file(parts: list[str]) -> str:
    """The site-relative file of a page: ``index.html``, ``南洲村/index.html``, ``v/3f2a-…/index.html``."""
    return "/".join([*parts, "index.html"])


def publish_site(session: Session, out, *, county=None, progress=None) -> PublishReport:
    """Write the public pages as a static site under ``out`` (relative links, no server needed)
    with ``manifest.json`` (every page's SHA-256 and every fingerprint's state). Incremental: a
    page whose content is unchanged is not rewritten; a page no longer published is removed.
    ``progress(done, total)`` is called after each page."""
    import hashlib
    import json
    from pathlib import Path

    from .errors import InputError
    from .regions import find_region

    root = Path(out)
    if root.exists() and not root.is_dir():
        raise InputError(f"输出位置不是目录：{root}", f"the output is not a directory: {root}")
    region = None
    if county is not None:
        region = find_region(session, county)
        if region.kind != "county":
            raise InputError(f"--region 应为县（市、区），{region.name} 不是", f"--region takes a county; {region.name} is not one")
    manifest_path = root / "manifest.json"
    old: dict = {}
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8")).get("pages", {})
        except ValueError:
            old = {}
    pages = all_pages(session, region)
    from .audit import head

    head_seq, head_hash = head(session)  # the chain head, anchored outside the database with the site
    report = PublishReport(out=str(root), pages=len(pages))
    hashes: dict[str, str] = {}
    fingerprints: dict[str, dict] = {}
    for n, parts in enumerate(pages, 1):
        links = Links(static=True, depth=len(parts))
        if not parts:
            html = render("index.html", links, **index_data(session, region))
        elif parts[0] == "v":
            data = verification_data(session, parts[1])
            fingerprints[parts[1]] = {"state": data["state"], "village": data.get("village"), "title": data.get("title"),
                                      "version": data.get("version"), "page": page_file(parts)}
            html = render("verify.html", links, **data)
        else:
            html = render("village.html", links, form=None, **village_data(session, find_village(session, parts[0])))
        data_bytes = html.encode("utf-8")
        digest = hashlib.sha256(data_bytes).hexdigest()
        name = page_file(parts)
        hashes[name] = digest
        target = root / name
        if old.get(name) == digest and target.is_file():
            report.unchanged += 1
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data_bytes)
            report.written += 1
        if progress is not None:
            progress(n, len(pages))
    for name in set(old) - set(hashes):
        stale = root / name
        if stale.is_file():
            stale.unlink()
            report.removed += 1
            try:
                stale.parent.rmdir()
            except OSError:
                pass
    report.fingerprints = len(fingerprints)
    manifest = {"format": 1, "audit_head": {"seq": head_seq, "hash": head_hash},
                "pages": dict(sorted(hashes.items())), "fingerprints": dict(sorted(fingerprints.items()))}
    root.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, ensure_ascii=False, indent=1)
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        manifest_path.write_text(text, encoding="utf-8")
    return report


def check_setting(key: str, value: Any) -> Any:
    """``value`` if it is a valid value of ``key`` (``public.base_url``: empty, or an http(s)
    address without spaces, query or fragment), else a bilingual ``InputError``."""
    from urllib.parse import urlsplit

    from .errors import InputError

    if key != BASE_URL or value == "":
        return value
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment or " " in text:
        raise InputError(f"公开栏网址应为 https://… 形式的网址（不含空格、? 或 #），收到 {value!r}",
                         f"{BASE_URL} is an http(s) address without spaces, query or fragment, got {value!r}")
    return text.rstrip("/")
