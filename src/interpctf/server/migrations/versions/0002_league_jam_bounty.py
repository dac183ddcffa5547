"""league, jam and bounty modes: mode settings, league rounds and proposals, jam projects, assignments and
reviews, bounty writeups and prizes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:17:51.879448
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('league_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('propose_from', sa.DateTime(), nullable=False),
    sa.Column('propose_until', sa.DateTime(), nullable=False),
    sa.Column('solve_until', sa.DateTime(), nullable=False),
    sa.Column('revealed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_table('mode_settings',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('bounty_writeups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bounty_writeups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bounty_writeups_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bounty_writeups_team_id'), ['team_id'], unique=False)

    op.create_table('jam_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('writeup_path', sa.String(length=500), nullable=False),
    sa.Column('writeup_type', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id')
    )
    op.create_table('league_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('folder', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('check', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['league_rounds.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'team_id')
    )
    with op.batch_alter_table('league_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_league_proposals_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_league_proposals_team_id'), ['team_id'], unique=False)

    op.create_table('bounty_prizes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('writeup_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('donation', sa.Boolean(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['writeup_id'], ['bounty_writeups.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('jam_assignments',
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['judge_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['jam_projects.id'], ),
    sa.PrimaryKeyConstraint('judge_id', 'project_id')
    )
    op.create_table('jam_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['judge_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['jam_projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'judge_id')
    )
    with op.batch_alter_table('jam_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jam_reviews_judge_id'), ['judge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jam_reviews_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('jam_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jam_reviews_project_id'))
        batch_op.drop_index(batch_op.f('ix_jam_reviews_judge_id'))

    op.drop_table('jam_reviews')
    op.drop_table('jam_assignments')
    op.drop_table('bounty_prizes')
    with op.batch_alter_table('league_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_league_proposals_team_id'))
        batch_op.drop_index(batch_op.f('ix_league_proposals_round_id'))

    op.drop_table('league_proposals')
    op.drop_table('jam_projects')
    with op.batch_alter_table('bounty_writeups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bounty_writeups_team_id'))
        batch_op.drop_index(batch_op.f('ix_bounty_writeups_challenge_id'))

    op.drop_table('bounty_writeups')
    op.drop_table('mode_settings')
    op.drop_table('league_rounds')
