// Storage for the peer: node-oidc-provider's adapter interface on one table, plus the account.
//
// One row per stored model instance (Session, Interaction, Grant, AuthorizationCode, RefreshToken,
// AccessToken for the opaque userinfo tokens, and our Account), keyed by (name, id), with the payload as
// JSON (jsonb on PostgreSQL) and the columns the adapter looks rows up by. Every call is one statement in
// autocommit mode: node-oidc-provider makes separate adapter calls and has no transaction hook.
import pg from 'pg';

const ACCOUNT = 'Account';

export async function openStore(kind, options) {
  switch (kind) {
    case 'postgres': return openPostgres(options.pg);
    case 'sqlite': return openSqlite(options.sqlite);
    case 'memory': return openMemory();
    default: throw new Error(`unknown PEER_STORE ${kind} (postgres, sqlite or memory)`);
  }
}

const epoch = () => Math.floor(Date.now() / 1000);
const expiry = (expiresIn) => (expiresIn ? epoch() + expiresIn : null);

// ------------------------------------------------------------------------------------------------

async function openPostgres(connectionString) {
  if (!connectionString) throw new Error('PEER_PG is required for the postgres store');
  // Connections are kept (no idle timeout), as Npgsql's pool keeps Lanyard's, so no backend start-up is measured.
  const pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 0 });
  const one = async (sql, args) => (await pool.query(sql, args)).rows[0];
  const live = (row) => (row && (row.expires_at === null || Number(row.expires_at) > epoch()) ? row.payload : undefined);

  class PostgresAdapter {
    constructor(name) { this.name = name; }

    async upsert(id, payload, expiresIn) {
      await pool.query(
        `INSERT INTO oidc_model (name, id, payload, grant_id, uid, user_code, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
        [this.name, id, payload, payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiry(expiresIn)]);
    }

    async find(id) {
      return live(await one('SELECT payload, expires_at FROM oidc_model WHERE name = $1 AND id = $2', [this.name, id]));
    }

    async findByUid(uid) {
      return live(await one('SELECT payload, expires_at FROM oidc_model WHERE name = $1 AND uid = $2', [this.name, uid]));
    }

    async findByUserCode(userCode) {
      return live(await one('SELECT payload, expires_at FROM oidc_model WHERE name = $1 AND user_code = $2', [this.name, userCode]));
    }

    async consume(id) {
      await pool.query(
        `UPDATE oidc_model SET payload = jsonb_set(payload, '{consumed}', to_jsonb($3::bigint)) WHERE name = $1 AND id = $2`,
        [this.name, id, epoch()]);
    }

    async destroy(id) {
      await pool.query('DELETE FROM oidc_model WHERE name = $1 AND id = $2', [this.name, id]);
    }

    async revokeByGrantId(grantId) {
      await pool.query('DELETE FROM oidc_model WHERE grant_id = $1', [grantId]);
    }
  }

  return {
    adapter: PostgresAdapter,
    async createSchema() {
      await pool.query(`CREATE TABLE IF NOT EXISTS oidc_model (
        name text NOT NULL, id text NOT NULL, payload jsonb NOT NULL,
        grant_id text, uid text, user_code text, expires_at bigint,
        PRIMARY KEY (name, id))`);
      await pool.query('CREATE INDEX IF NOT EXISTS oidc_model_grant_id ON oidc_model (grant_id) WHERE grant_id IS NOT NULL');
      await pool.query('CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (name, uid) WHERE uid IS NOT NULL');
      await pool.query('CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (name, user_code) WHERE user_code IS NOT NULL');
      // The account is looked up by email at login, as Lanyard looks its user up (a unique index).
      await pool.query(`CREATE UNIQUE INDEX IF NOT EXISTS oidc_model_account_email ON oidc_model ((payload->>'email')) WHERE name = '${ACCOUNT}'`);
    },
    async putAccount(accountId, email, passwordHash) {
      await new PostgresAdapter(ACCOUNT).upsert(accountId, { accountId, email, passwordHash });
    },
    findAccountById: (id) => new PostgresAdapter(ACCOUNT).find(id),
    async findAccountByEmail(email) {
      const row = await one(`SELECT payload FROM oidc_model WHERE name = '${ACCOUNT}' AND payload->>'email' = $1`, [email]);
      return row?.payload;
    },
    close: () => pool.end(),
  };
}

// ------------------------------------------------------------------------------------------------

async function openSqlite(file) {
  if (!file) throw new Error('PEER_SQLITE is required for the sqlite store');
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  // WAL with the default synchronous=FULL: each commit is durable, as Lanyard's SQLite commits are.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  const statements = new Map();
  const prepare = (sql) => {
    let s = statements.get(sql);
    if (!s) { s = db.prepare(sql); statements.set(sql, s); }
    return s;
  };
  const live = (row) => (row && (row.expires_at === null || row.expires_at > epoch()) ? JSON.parse(row.payload) : undefined);

  class SqliteAdapter {
    constructor(name) { this.name = name; }

    async upsert(id, payload, expiresIn) {
      prepare(`INSERT INTO oidc_model (name, id, payload, grant_id, uid, user_code, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (name, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
                 uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`)
        .run(this.name, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiry(expiresIn));
    }

    async find(id) {
      return live(prepare('SELECT payload, expires_at FROM oidc_model WHERE name = ? AND id = ?').get(this.name, id));
    }

    async findByUid(uid) {
      return live(prepare('SELECT payload, expires_at FROM oidc_model WHERE name = ? AND uid = ?').get(this.name, uid));
    }

    async findByUserCode(userCode) {
      return live(prepare('SELECT payload, expires_at FROM oidc_model WHERE name = ? AND user_code = ?').get(this.name, userCode));
    }

    async consume(id) {
      prepare(`UPDATE oidc_model SET payload = json_set(payload, '$.consumed', ?) WHERE name = ? AND id = ?`).run(epoch(), this.name, id);
    }

    async destroy(id) {
      prepare('DELETE FROM oidc_model WHERE name = ? AND id = ?').run(this.name, id);
    }

    async revokeByGrantId(grantId) {
      prepare('DELETE FROM oidc_model WHERE grant_id = ?').run(grantId);
    }
  }

  return {
    adapter: SqliteAdapter,
    async createSchema() {
      db.exec(`CREATE TABLE IF NOT EXISTS oidc_model (
        name TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,
        grant_id TEXT, uid TEXT, user_code TEXT, expires_at INTEGER,
        PRIMARY KEY (name, id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS oidc_model_grant_id ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (name, uid) WHERE uid IS NOT NULL;
        CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (name, user_code) WHERE user_code IS NOT NULL;
        CREATE UNIQUE INDEX IF NOT EXISTS oidc_model_account_email ON oidc_model (json_extract(payload, '$.email')) WHERE name = '${ACCOUNT}';`);
    },
    async putAccount(accountId, email, passwordHash) {
      await new SqliteAdapter(ACCOUNT).upsert(accountId, { accountId, email, passwordHash });
    },
    findAccountById: (id) => new SqliteAdapter(ACCOUNT).find(id),
    async findAccountByEmail(email) {
      const row = prepare(`SELECT payload FROM oidc_model WHERE name = '${ACCOUNT}' AND json_extract(payload, '$.email') = ?`).get(email);
      return row ? JSON.parse(row.payload) : undefined;
    },
    close: async () => db.close(),
  };
}

// ------------------------------------------------------------------------------------------------

// Memory: node-oidc-provider's own in-memory adapter (no adapter option) and the account in a Map.
async function openMemory() {
  const accounts = new Map();
  return {
    adapter: undefined,
    async createSchema() {},
    async putAccount(accountId, email, passwordHash) { accounts.set(accountId, { accountId, email, passwordHash }); },
    findAccountById: async (id) => accounts.get(id),
    findAccountByEmail: async (email) => [...accounts.values()].find((a) => a.email === email),
    close: async () => {},
  };
}
