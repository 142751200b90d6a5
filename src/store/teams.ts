/** Teams (table `teams`) and their memberships (table `team_members`, removed with the team). */
import type { TeamMemberRecord, TeamRecord, TeamRepository } from './types.js';
import type { SqlClient } from './sql.js';
import { defineTable, deleteRows, getRow, insertRow, listPage, selectRows, updateRow, Where } from './table.js';

export const TEAMS = defineTable<TeamRecord>('teams', ['team_id'], {
  team_id: 'text',
  team_alias: 'text',
  organization_id: 'text',
  models: 'text[]',
  max_budget: 'number',
  soft_budget: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  spend: 'number',
  tpm_limit: 'number',
  rpm_limit: 'number',
  max_parallel_requests: 'number',
  model_aliases: 'jsonb',
  metadata: 'jsonb',
  tags: 'text[]',
  blocked: 'boolean',
  model_max_budget: 'jsonb',
  team_member_budget: 'number',
  team_member_budget_duration: 'text',
  team_member_budget_reset_at: 'timestamptz',
  team_member_rpm_limit: 'number',
  team_member_tpm_limit: 'number',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
});

export const TEAM_MEMBERS = defineTable<TeamMemberRecord>('team_members', ['team_id', 'user_id'], {
  team_id: 'text',
  user_id: 'text',
  role: 'text',
  spend: 'number',
  max_budget: 'number',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  tpm_limit: 'number',
  rpm_limit: 'number',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

export function createTeamRepository(client: SqlClient): TeamRepository {
  return {
    insert: (record) => insertRow(client, TEAMS, record, 'teams.insert'),
    get: (teamId) => getRow(client, TEAMS, [teamId]),
    update: (teamId, patch) => updateRow(client, TEAMS, [teamId], patch, 'teams.update'),
    // team_members references teams ON DELETE CASCADE: the memberships go with the team.
    delete: (teamIds) => deleteRows(client, TEAMS, teamIds),
    list(filter) {
      const where = new Where();
      if (filter.user_id !== undefined) {
        where.add(`team_id IN (SELECT team_id FROM team_members WHERE user_id = ${where.params.add(filter.user_id)})`);
      }
      return listPage(client, TEAMS, where, 'created_at, team_id', filter, 'teams.list');
    },
    /** Fails with `record_not_found` when the team does not exist, `already_exists` when the user is a member. */
    addMember: (member) => insertRow(client, TEAM_MEMBERS, member, 'teams.addMember'),
    updateMember: (teamId, userId, patch) => updateRow(client, TEAM_MEMBERS, [teamId, userId], patch, 'teams.updateMember'),
    async removeMember(teamId, userId) {
      const rows = await client.query('DELETE FROM team_members WHERE team_id = $1 AND user_id = $2 RETURNING user_id', [teamId, userId]);
      return rows.length > 0;
    },
    members: (teamId) => selectRows(client, TEAM_MEMBERS, new Where().equals('team_id', teamId), 'created_at, user_id'),
    membership: (teamId, userId) => getRow(client, TEAM_MEMBERS, [teamId, userId]),
    teamsOf: (userId) => selectRows(client, TEAM_MEMBERS, new Where().equals('user_id', userId), 'created_at, team_id'),
  };
}
