/** A Store: the repositories over a backend's pool, plus transactions, events, ping and close. */
import { closedError } from './errors.js';
import type { StoreEvents } from './events.js';
import { createRepositories } from './repositories.js';
import type { SqlBackend } from './sql.js';
import type {
  AuditRepository,
  BudgetRepository,
  CustomerRepository,
  KeyRepository,
  ModelRepository,
  Repositories,
  SpendLogRepository,
  Store,
  StoreBackendKind,
  TeamRepository,
  UserRepository,
} from './types.js';

export class SqlStore implements Store {
  readonly backend: StoreBackendKind;
  readonly keys: KeyRepository;
  readonly users: UserRepository;
  readonly teams: TeamRepository;
  readonly customers: CustomerRepository;
  readonly budgets: BudgetRepository;
  readonly models: ModelRepository;
  readonly audit: AuditRepository;
  readonly spendLogs: SpendLogRepository;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly sql: SqlBackend,
    private readonly events: StoreEvents,
    readonly location: string,
  ) {
    this.backend = sql.kind;
    const repositories = createRepositories(sql);
    this.keys = repositories.keys;
    this.users = repositories.users;
    this.teams = repositories.teams;
    this.customers = repositories.customers;
    this.budgets = repositories.budgets;
    this.models = repositories.models;
    this.audit = repositories.audit;
    this.spendLogs = repositories.spendLogs;
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.sql.transaction((client) => work(createRepositories(client)));
  }

  async notify(payload: string): Promise<void> {
    if (this.closing !== null) throw closedError();
    await this.events.notify(payload);
  }

  async listen(onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.closing !== null) throw closedError();
    return this.events.listen(onPayload);
  }

  async ping(): Promise<void> {
    await this.sql.query('SELECT 1');
  }

  /** Stops listening and ends every connection; later calls fail with `store_unavailable`. */
  close(): Promise<void> {
    this.closing ??= this.events.close().then(() => this.sql.close());
    return this.closing;
  }
}
