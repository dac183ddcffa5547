"""the streetlight audit of what is published: hints wait for the admin's publish, audits are recorded

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # hints written in an event spec were published at creation; only hints an admin adds later wait for the audit
    op.add_column('hints', sa.Column('published', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('hints', sa.Column('audit', sa.JSON(), nullable=True))
    op.add_column('challenges', sa.Column('audit', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('challenges') as batch:
        batch.drop_column('audit')
    with op.batch_alter_table('hints') as batch:
        batch.drop_column('audit')
        batch.drop_column('published')
