"""The plugin contract: every hook a shequ-sdk plugin can implement.

A plugin is a module (or object) with functions decorated by ``@shequ_sdk.hookimpl`` whose
names match the hooks below. Installed distributions are found through the ``shequ_sdk``
entry-point group; the SDK's own defaults (``shequ_sdk.default_plugins``) use the same hooks.

Contributions arrive through ``register`` callbacks. The SDK checks each one and files it
under the plugin's name; a bad contribution raises ``PluginError`` naming the plugin, and the
plugin is listed as failed by ``shequ plugins`` while the others keep working.

Every hook is called for every plugin; none is "first result wins". The ``register_*`` hooks
return nothing. The guide in ``docs/plugins.md`` documents each hook with a runnable example;
``tests/test_plugin_guide.py`` keeps it in step with this file.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("shequ_sdk")
hookimpl = pluggy.HookimplMarker("shequ_sdk")


@hookspec
def register_association_types(register):
    """Register the association types (协会类型) this plugin adds.

    When: once, the first time the registry is built (``shequ_sdk.registry()``).

    Parameters:
        register: call ``register(AssociationType(...))`` once per type. The key is unique
            across plugins, lower-case, such as ``"sanitation"``.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_association_types(register):
            register(AssociationType(key="sanitation", name_zh="环卫协会", name_en="Sanitation association"))
    """


@hookspec
def register_tables(register):
    """Register record tables: SQLModel classes that subclass ``shequ_sdk.Record``.

    When: once, when the registry is built; tables are created by ``shequ init`` / ``shequ_sdk.open``.

    Parameters:
        register: call ``register(RecordTable(model=..., label_zh=..., label_en=..., ...))``.
            ``RecordTable`` carries the Chinese and English label, the region level rows belong
            to, the date or period column, the owning association type and the natural key.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_tables(register):
            register(RecordTable(model=CollectionRun, label_zh="清运记录", label_en="Collection runs",
                                 association_type="sanitation", date_field="run_date",
                                 natural_key=("region_id", "run_date", "vehicle")))
    """


@hookspec
def register_indicators(register):
    """Register indicators, computed in SQL for any region and period.

    When: once, when the registry is built; evaluated by ``shequ indicators``, the pandas API
    and the dashboards.

    Parameters:
        register: call ``register(Indicator(...))``. Keys are namespaced ``plugin.name``.
            ``numerator(q)`` and optional ``denominator(q)`` return a ``select`` of
            ``region_id`` and ``value`` (or ``q.per_region({...})`` for a part worked out in
            Python); the SDK sums each over the area and divides, so a township or county rate
            is recomputed, never averaged.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_indicators(register):
            register(Indicator(key="sanitation.collections", label_zh="清运次数", label_en="Collection runs",
                               unit_zh="次", unit_en="runs",
                               numerator=lambda q: q.count(CollectionRun, date=CollectionRun.run_date)))
    """


@hookspec
def register_rules(register):
    """Register validation rules for record tables and for the database as a whole.

    When: once, when the registry is built. Row rules run on every write to their table
    (a batch with any error is refused whole) and in ``shequ check``; database rules run in
    ``shequ check``.

    Parameters:
        register: call ``register(Rule(key=..., label_zh=..., label_en=..., table=...,
            check_row=..., check_db=...))``. Checks yield ``Problem`` objects that name the
            field and value; the SDK adds the table and row number.

    Rows applied from an offline village's sync package (or the township's acknowledgement) are
    validated with ``ctx.mode == "sync"``: ``ctx.sync.origin`` names the sender,
    ``ctx.sync.before(table_key, id)`` gives a record as it was before the package and
    ``ctx.sync.created(table_key)`` the ids it created. A rule guarding *how* a value changes (a
    workflow step) lets the sender's values through; a rule about *what* a row holds still
    refuses (docs/plugins.md, "Rows applied from a sync package").

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_rules(register):
            def not_future(row, ctx):
                if row.run_date > ctx.today:
                    yield Problem("清运日期不能晚于今天", "a collection run cannot be dated in the future",
                                  field="run_date", value=row.run_date)
            register(Rule(key="sanitation.run_not_future", label_zh="清运日期不晚于今天",
                          label_en="Run not in the future", table="sanitation_collection_run", check_row=not_future))
    """


@hookspec
def register_settings(register):
    """Register configurable values with their defaults (deadlines, thresholds, star lists…).

    When: once, when the registry is built. Values are read with
    ``shequ_sdk.config.get(session, key, region)``, which looks for an override on the region,
    then its township, then its county, then falls back to the default.

    Parameters:
        register: call ``register(Setting(key="plugin.name", default=..., label_zh=..., label_en=...))``.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_settings(register):
            register(Setting(key="finance.quarterly_due_day", default=15,
                             label_zh="季度公开截止日", label_en="Quarterly due day"))
    """


@hookspec
def register_views(register):
    """Register dashboard views (township charts, village-page panels, data-entry panels).

    When: once, when the registry is built. The dashboard calls each view's ``render(store)``
    every time it builds a page; a view whose ``render`` raises is shown as an error card and
    the rest of the page renders.

    Parameters:
        register: call ``register(View(key="plugin.name", label_zh=..., label_en=...,
            render=callable))``; ``render(store)`` returns a Panel or HoloViews object. ``store``
            is a ``shequ_sdk.ui.DataStore`` (the guide's "The view-side store" lists what it offers).
            Optional ``printable=callable``: ``printable(store)`` returns the view as
            self-contained HTML (inline CSS, no scripts) for the printed dashboard (``shequ
            report``, 导出 PDF), or ``None`` to leave it out; chart views without it are not printed.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_views(register):
            register(View(key="sanitation.trend", label_zh="清运率走势", label_en="Collection rate",
                          render=lambda store: store.indicator_trend("sanitation.collection_rate")))
    """


@hookspec
def populate(ctx):
    """Write demo or synthetic data for this plugin.

    When: by ``shequ demo`` (``ctx.mode == "demo"``: reproduce the seed articles' figures) and by
    ``shequ generate`` (``ctx.mode == "synthetic"``: a plausible county). The core's own
    implementation runs first and creates the regions and households.

    Parameters:
        ctx: a ``PopulateContext`` with ``session``, ``mode``, ``rng`` (a ``random.Random``
            seeded for this plugin), ``villages``, ``years``, ``region(name)``,
            ``households(region)``, ``write(model, rows)`` (the validated batch write path)
            and ``progress``.

    Returns: nothing. All implementations are called, in plugin registration order.

    Example::

        @hookimpl
        def populate(ctx):
            for village in ctx.villages:
                ctx.write(CollectionRun, [{"region_id": village.id, "run_date": d, "vehicle": "环卫车1", "synthetic": True}
                                          for year in ctx.years for d in ctx.days(year)])
    """


@hookspec
def records_changed(session, table, region_ids):
    """Rows of ``table`` were written through the SDK, in the transaction of ``session``.

    When: after each validated batch (``records.write``: inserts and upserts, the entry app's
    saves, spreadsheet imports, the generator's ``ctx.write``) with ``table`` the table's key,
    and after a setting changes (``config.set_value``) with ``table == "setting"``. Called before
    the transaction commits: what the hook writes commits or rolls back with the change.

    What for: keeping a plugin's derived rows current at write time — the finance plugin keeps
    its disclosure schedule (``finance_obligation``) in step with ledger entries, queries and
    settings here — because reads never write: the SDK rolls back every read session
    (``Shequ.reading()``, ``store.reading()``), so whatever a read prepares lives only as long as
    that read.

    Parameters:
        session: the writing session.
        table: the key of the table written (``"setting"`` for a setting).
        region_ids: the ids of the regions whose rows changed (for an update, the row's region
            before and after), or ``None`` when the change concerns every region (a setting
            without a region).

    Not called while plugins ``populate`` (``shequ demo``, ``shequ generate``): a plugin that
    derives rows does so once, at the end of its own ``populate``.

    Returns: nothing. An exception rolls back the whole write: derived rows never fall silently
    behind. Keep it quick: it runs on every batch of every table, so return at once for tables
    the plugin does not derive from.

    Example::

        @hookimpl
        def records_changed(session, table, region_ids):
            if table == "water_fee_payment":
                refresh_arrears(session, region_ids)
    """


@hookspec
def register_commands(cli):
    """Add sub-commands to the ``shequ`` command line.

    When: each time the CLI starts, before arguments are parsed.

    Parameters:
        cli: the ``typer.Typer`` application. Add a command with ``@cli.command()`` or a
            group with ``cli.add_typer(sub, name="finance")``. Raise ``shequ_sdk.InputError``
            for bad input: the CLI prints it on one line and exits 2.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_commands(cli):
            @cli.command(name="hello")
            def hello(name: str = "世界"):
                "打个招呼 / Say hello"
                print(f"你好，{name}")
    """


@hookspec
def register_migrations(register):
    """Register the directory of Alembic revision files that changes this plugin's tables.

    When: once, when the registry is built. ``shequ migrate`` applies every registered
    branch; ``shequ_sdk.open`` refuses a database whose schema is behind one of them.

    Parameters:
        register: call ``register(Migrations(branch="sanitation", path=...))``. ``branch`` is the
            version branch label (the plugin's name; the core's is ``shequ_core``); ``path`` the
            directory holding the revision files, shipped inside the plugin's package.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_migrations(register):
            register(Migrations(branch="sanitation", path=Path(__file__).with_name("migrations")))
    """


@hookspec
def register_boards(register):
    """Register printable boards (公开栏) that ``shequ board`` prints besides the finance boards.

    When: once, when the registry is built. ``shequ board --board NAME`` (and
    ``shequ_sdk.boards.write_board``) looks plugin boards up first by key, label or alias.

    Parameters:
        register: call ``register(BoardType(key="plugin.name", label_zh=..., label_en=...,
            load=callable))``; ``load(session, region, period, today)`` returns a
            ``shequ_sdk.boards.Board`` whose postings fill ``columns`` and ``rows`` (and may set
            ``signers``, ``steps``, ``notice``, a ``fingerprint`` with its ``verification``
            string and QR code). The SDK renders it with the same A3 template, HTML or PDF.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_boards(register):
            register(BoardType(key="water.fees", label_zh="水费", label_en="Water fees", load=load_fee_board,
                               period_kinds=("year",)))
    """


@hookspec
def register_verifiers(register):
    """Register checks that prove stored data was not changed behind the SDK's back.

    When: once, when the registry is built. ``shequ verify`` runs every verifier after
    recomputing the audit chain, and exits 1 when any reports a problem.

    Parameters:
        register: call ``register(Verifier(key="plugin.name", label_zh=..., label_en=...,
            check=callable))``; ``check(session)`` returns a list of ``Problem`` (empty: valid),
            each naming the table, record and what no longer matches.

    Returns: nothing. All implementations are called.

    Example::

        @hookimpl
        def register_verifiers(register):
            register(Verifier(key="water.receipts", label_zh="收据指纹", label_en="Receipt fingerprints",
                              check=lambda session: list(receipt_problems(session))))
    """
