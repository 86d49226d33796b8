"""certificate names corrected once: the old certificate names its replacement

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0002 created the unique constraint without a name: PostgreSQL named it, SQLite did not
POSTGRES_UNIQUE = "certificates_user_id_course_id_key"
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
CURRENT = sa.text("replaced_by IS NULL")


def upgrade() -> None:
    replaced_by = sa.Column(
        "replaced_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("certificates", naming_convention=SQLITE_NAMES) as batch_op:
            batch_op.add_column(replaced_by)
            batch_op.drop_constraint("uq_certificates_user_id", type_="unique")
    else:
        op.add_column("certificates", replaced_by)
        op.drop_constraint(POSTGRES_UNIQUE, "certificates", type_="unique")
    op.create_index(
        "uq_certificates_current",
        "certificates",
        ["user_id", "course_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM certificates WHERE replaced_by IS NOT NULL"))
    op.drop_index("uq_certificates_current", table_name="certificates")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("certificates") as batch_op:
            batch_op.drop_column("replaced_by")
            batch_op.create_unique_constraint("uq_certificates_user_id", ["user_id", "course_id"])
    else:
        op.drop_column("certificates", "replaced_by")
        op.create_unique_constraint(POSTGRES_UNIQUE, "certificates", ["user_id", "course_id"])
