"""lead_versions.owner_told_version: the snapshot version whose owner was told of the
assignment, so that the old producer's `lead_assigned` and the new producer's
`lead_created` with `assignment` of one creation tell the owner once.

Leads whose owner was already told (a `lead_assigned` notification names them) start
with their newest version; the others with none, so that a pending `lead_assigned`
still tells.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lead_versions", sa.Column("owner_told_version", sa.Integer()))
    lead_versions = sa.table("lead_versions", sa.column("id"), sa.column("version"), sa.column("owner_told_version"))
    notifications = sa.table("notifications", sa.column("kind"), sa.column("data", sa.JSON()))
    told = sa.select(notifications.c.data["lead_id"].as_string()).where(notifications.c.kind == "lead_assigned")
    op.execute(
        lead_versions.update().where(lead_versions.c.id.in_(told)).values(owner_told_version=lead_versions.c.version)
    )


def downgrade() -> None:
    with op.batch_alter_table("lead_versions") as batch:
        batch.drop_column("owner_told_version")
