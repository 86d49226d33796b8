"""progress by identity: the page by lesson id, lessons read by id, no stored quiz/practice index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00

Until 0003 a trainee's place was a set of integer positions (page and furthest page counted
across the whole course, the quiz question index, the practice item index); reordering the course
file stranded people. From here:

- the page is `lesson_id` + `page` (1-based within that lesson; NULL and 0 past the last lesson);
- the lessons read are rows of `lessons_read` (by lesson id);
- the current quiz question and practice item are not stored: each is the first one in the
  course's current order without an answer (quiz_answers of the attempt, practice_answers), which
  already hold ids, so `question` and `practice_item` are dropped with nothing lost.

The course content is not available to a migration, so existing page positions cannot be turned
into lesson ids here. They are kept as they are in `legacy_page` and `legacy_furthest_page`
(`lesson_id` NULL, `page` 0) and the bot reads them through the course as it is at the time: the
page at that flat position, the lessons wholly before the furthest position as read. The next
move of the trainee writes the lesson id and the `lessons_read` rows and clears both columns.
(If the content changed between the last use and this migration, such a trainee may land a few
pages off; they never lose a lesson read or an answer.)

Downgrade is best effort: flat positions come back from the legacy columns (else 0), the quiz
question as the number of answers in the current attempt, the practice item as the number of
practice answers; rows moved after the upgrade restart their reading at the first page.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.dbtypes

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE = "(lesson_id IS NULL AND page = 0) OR (lesson_id IS NOT NULL AND page >= 1)"


def upgrade() -> None:
    op.create_table(
        "lessons_read",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("course_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("lesson_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("read_at", core.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "course_id", "lesson_id"),
    )
    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lesson_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("legacy_page", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("legacy_furthest_page", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE course_progress SET legacy_page = page, legacy_furthest_page = furthest_page, "
        "page = 0"
    )
    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.drop_constraint("positions", type_="check")
        batch_op.drop_column("furthest_page")
        batch_op.drop_column("question")
        batch_op.drop_column("practice_item")
        batch_op.create_check_constraint("place", PLACE)
        batch_op.create_check_constraint("attempt_count", "attempt >= 0")


def downgrade() -> None:
    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.drop_constraint("attempt_count", type_="check")
        batch_op.drop_constraint("place", type_="check")
        batch_op.add_column(
            sa.Column("furthest_page", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("question", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("practice_item", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE course_progress SET "
        "page = COALESCE(legacy_page, 0), "
        "furthest_page = COALESCE(legacy_furthest_page, 0), "
        "question = CASE WHEN stage = 'quiz' THEN (SELECT count(*) FROM quiz_answers a "
        "WHERE a.user_id = course_progress.user_id AND a.course_id = course_progress.course_id "
        "AND a.attempt = course_progress.attempt) ELSE 0 END, "
        "practice_item = (SELECT count(*) FROM practice_answers a "
        "WHERE a.user_id = course_progress.user_id AND a.course_id = course_progress.course_id)"
    )
    with op.batch_alter_table("course_progress", schema=None) as batch_op:
        batch_op.alter_column("furthest_page", server_default=None)
        batch_op.alter_column("question", server_default=None)
        batch_op.alter_column("practice_item", server_default=None)
        batch_op.drop_column("legacy_furthest_page")
        batch_op.drop_column("legacy_page")
        batch_op.drop_column("lesson_id")
        batch_op.create_check_constraint(
            "positions", "page >= 0 AND question >= 0 AND practice_item >= 0"
        )
    op.drop_table("lessons_read")
