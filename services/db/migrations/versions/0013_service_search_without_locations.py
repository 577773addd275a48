"""service_search: without the count of each service's located places

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:40:00

No search reads it since the disc search (it loads the services of a growing disc and counts
them itself): every refresh of the search rows still paid a correlated count per row for it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        batch_op.drop_column('locations')


def downgrade() -> None:
    """Downgrade schema: the column comes back, each row counting its service's located places."""
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locations', sa.Integer(), server_default='1', nullable=False))
    op.execute(
        """
        UPDATE service_search SET locations = (
            SELECT count(DISTINCT sal.location_id)
            FROM service_at_location AS sal JOIN locations AS l ON l.id = sal.location_id
            WHERE sal.service_id = service_search.service_id
                AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL
        )
        """
    )
