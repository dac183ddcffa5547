"""jam logistics: registered participants and their sites, the ideas list and its upvotes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 01:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jam_participants',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=80), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('jam_ideas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_jam_ideas_user_id'), 'jam_ideas', ['user_id'], unique=False)
    op.create_table('jam_idea_votes',
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['jam_ideas.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('idea_id', 'user_id')
    )


def downgrade() -> None:
    op.drop_table('jam_idea_votes')
    op.drop_index(op.f('ix_jam_ideas_user_id'), table_name='jam_ideas')
    op.drop_table('jam_ideas')
    op.drop_table('jam_participants')
