/**
 * What the data path needs to know about a virtual key: the key's record with its user's and
 * team's, resolved once on the main thread and cached in every event-loop thread.
 *
 * Plain data (structured-clonable), so the main thread can post it to a thread. Records are the
 * store's own (src/store/types.ts); the secrets they could carry (password hashes) are removed.
 */
import type { BudgetRecord, CustomerRecord, KeyRecord, TeamMemberRecord, TeamRecord, UserRecord } from '../store/types.js';

export interface AuthRecord {
  readonly key: KeyRecord;
  /** The key's user (password hash removed), null when the key has none or the user is gone. */
  readonly user: Omit<UserRecord, 'password_hash'> | null;
  readonly team: TeamRecord | null;
  /** The user's membership in the key's team, when both are set. */
  readonly membership: TeamMemberRecord | null;
}

export function toAuthRecord(key: KeyRecord, user: UserRecord | null, team: TeamRecord | null, membership: TeamMemberRecord | null): AuthRecord {
  let safeUser: Omit<UserRecord, 'password_hash'> | null = null;
  if (user !== null) {
    const { password_hash: _password, ...rest } = user;
    safeUser = rest;
  }
  return { key, user: safeUser, team, membership };
}

/**
 * An end user as the data path sees it: its record, and the shared budget its `budget_id` names
 * (LiteLLM's `litellm_budget_table`), whose limits and period apply when the end user sets no
 * max_budget of its own. Null when it names none, or the budget is gone.
 */
export interface CustomerAuthRecord extends CustomerRecord {
  readonly litellm_budget_table: BudgetRecord | null;
}
