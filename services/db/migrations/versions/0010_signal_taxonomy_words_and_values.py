"""engagement signals: the taxonomy's values, and staff's words about her provider

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 20:30:00.000000

The signal taxonomy (services/engagement/taxonomy.py) types every value. Rows written before
it are moved to its codes: barriers "transport" and "distance" become "rides", "judged"
becomes "felt_judged"; a provider rating "positive" becomes 4 and "negative" 2 (the bot
heard praise or a complaint, not a score). `words` holds what staff wrote down about her
provider relationship, Fernet-encrypted by the model's column type like client_notes.body.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SIGNALS = sa.table(
    'engagement_signals', sa.column('type', sa.String), sa.column('value', sa.Text)
)
MOVED = (
    ('barrier_reported', 'transport', 'rides'),
    ('barrier_reported', 'distance', 'rides'),
    ('barrier_reported', 'judged', 'felt_judged'),
    ('provider_rating', 'positive', '4'),
    ('provider_rating', 'negative', '2'),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('engagement_signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words', sa.Text(), nullable=True))
    for signal_type, old, new in MOVED:
        op.execute(
            SIGNALS.update()
            .where(SIGNALS.c.type == signal_type, SIGNALS.c.value == old)
            .values(value=new)
        )
    # A need the bot once sent as the text "None" (an empty slot) names no need.
    op.execute(
        SIGNALS.delete().where(SIGNALS.c.type == 'need_expressed', SIGNALS.c.value == 'None')
    )


def downgrade() -> None:
    """Downgrade schema (the old values are not restored: the new codes read the same)."""
    with op.batch_alter_table('engagement_signals', schema=None) as batch_op:
        batch_op.drop_column('words')
