"""do-not-contact: when and by whom it last changed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 20:10:00.000000

Case managers mark a woman do-not-contact on her page, and clear it; like her opt-out status
(status_changed_at/by), the flag keeps when it last changed and who changed it
("staff:<id>"), shown on her page. The audit log has the full history.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('do_not_contact_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('do_not_contact_changed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('do_not_contact_changed_by')
        batch_op.drop_column('do_not_contact_changed_at')
