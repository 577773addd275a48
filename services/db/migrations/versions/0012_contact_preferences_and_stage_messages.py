"""her contact preferences and the stage-message library

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:20:00

Her own hours (a window when she does not want texts Tandem starts) and discreet mode on
clients, stamped with when and by whom they last changed; and stage_messages, the library of
texts keyed to her due date or her baby's birth date. The library's rows are not written
here: the app inserts the keys of data/checkins/stage_messages.yml that the table lacks when
it starts (services/checkins/stage_library.py), so staff edits are kept and messages added
to the file later still arrive.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stage_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('anchor', sa.String(length=16), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('text_es', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('last_reviewed', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_stage_messages_key'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_quiet_hours', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('discreet', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('contact_prefs_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contact_prefs_changed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('contact_prefs_changed_by')
        batch_op.drop_column('contact_prefs_changed_at')
        batch_op.drop_column('discreet')
        batch_op.drop_column('contact_quiet_hours')

    op.drop_table('stage_messages')
