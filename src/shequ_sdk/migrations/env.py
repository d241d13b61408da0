"""Alembic environment of shequ-sdk: always online, on the connection ``shequ_sdk.migrations``
hands over (in ``config.attributes``), so the caller owns the transaction."""

from alembic import context

from shequ_sdk import migrations

config = context.config
connection = config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    from shequ_sdk.errors import InputError

    raise InputError("迁移只能通过 shequ migrate 运行", "migrations run only through shequ migrate (no offline SQL mode)")

context.configure(
    connection=connection,
    target_metadata=migrations.target_metadata(),
    include_object=config.attributes.get("include_object") or migrations.managed_filter(),
    process_revision_directives=config.attributes.get("process_revision_directives"),
    render_item=migrations.render_item,
    render_as_batch=True,  # SQLite alters a table by copying it; batch ops do that and stay plain ALTERs elsewhere
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
