"""Writes tenants and their users into a stopped Lanyard server's database, fast, for bench/scale.sh.

Every row is a copy of a row the server wrote itself, so the columns follow the schema exactly whatever
migrations added: tenants copy the demo user's tenant (the demo tenant: status, type, flags, version), users copy
the demo user (application, built-in identity provider, status, password hash, flags, version). Only
the columns that must differ are replaced: ids, tenant ids, names, emails and timestamps. The column lists
come from the database itself (PRAGMA table_info / information_schema), not from this script.

  seed_scale.py sqlite PATH_TO_lanyard.db APPLICATION_ID DEMO_EMAIL FIRST END USERS_PER_TENANT SAMPLE_OUT
  seed_scale.py csv    OUT_DIR            APPLICATION_ID DEMO_EMAIL FIRST END USERS_PER_TENANT SAMPLE_OUT
  seed_scale.py pgsql  OUT_DIR            USERS_COLUMNS  TENANTS_COLUMNS                           (prints SQL)

Tenants FIRST..END-1 are named t00000.. (at least five digits; the width fits END), each with
USERS_PER_TENANT users: <tenant name>.u<k>@bench.example, unique in the whole application. sqlite
mode writes in one transaction; csv mode writes tenants.csv and users.csv for PostgreSQL's COPY, and
pgsql mode prints the SQL that loads them. Both data modes append up to 20,000 random seeded users to
SAMPLE_OUT, one "user_id tenant_id email" line each, for the lookup benchmark.

Ids follow Common/LanyardId.cs: 26 lowercase base32 digits (alphabet 2-7a-z in ASCII order, most
significant bit first) of a 48-bit millisecond timestamp and 80 random bits, so they sort by creation
time.
"""
import csv
import datetime as dt
import os
import random
import sqlite3
import sys

WORDS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
         "soylent", "oscorp", "aperture", "vandelay", "massive", "dynamic", "pied", "piper", "monarch", "gringotts"]
SUFFIXES = ["Labs", "Corp", "Group", "Holdings", "Systems", "Partners", "Works", "Industries", "Studio", "Health"]
GIVEN = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim", "Margaret", "Linus"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Lee"]
SAMPLE_SIZE = 20_000

TENANT_OWN = ["id", "name", "normalized_name", "display_name", "created_at", "updated_at"]
TENANT_NULL = ["description", "logo_url", "custom_domain", "public_metadata", "restricted_metadata"]
USER_OWN = ["id", "tenant_id", "email", "normalized_email", "username", "normalized_username", "full_name",
            "given_name", "family_name", "display_name", "created_at", "updated_at"]
USER_NULL = ["external_id", "middle_name", "honorific_prefix", "honorific_suffix", "nickname", "picture_url",
             "public_metadata", "restricted_metadata"]


ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # two digits (10 bits) per lookup: 13 per id
SHIFTS = range(120, -1, -10)


def lanyard_id(rng: random.Random, millis: int) -> str:
    # 128 bits (48-bit milliseconds, 80 random bits) and two zero bits make 26 five-bit digits.
    value = ((millis << 80) | rng.getrandbits(80)) << 2
    return "".join([PAIRS[(value >> shift) & 1023] for shift in SHIFTS])


EPOCH_TICKS = (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) - dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1) * 10


def sqlite_time(micros: int) -> int:
    """Microseconds since 1970 as EF Core's DateTimeOffsetToBinaryConverter stores them
    (Persistence/ProviderContexts.cs): .NET ticks / 1000 shifted left 11 bits, the offset in minutes in the
    low 11 bits (0: all times are UTC)."""
    return ((micros * 10 + EPOCH_TICKS) // 1000) << 11


def sqlite_decode(value: int) -> dt.datetime:
    return dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=(value >> 11) * 1000 // 10)


def generate(first: int, end: int, per_tenant: int):
    """Yields (tenant row, [user rows]) in creation order, times in microseconds since 1970, spread over the
    past year (integer arithmetic: a million users take seconds, not a minute)."""
    rng = random.Random(first * 7919 + end)
    width = max(5, len(str(end - 1)))
    now = int(dt.datetime.now(dt.timezone.utc).timestamp()) * 1_000_000
    year = 365 * 86400 * 1_000_000
    start, step = now - year, year // max(end, 1)
    users_of = [f".u{k}@bench.example" for k in range(per_tenant)]
    for i in range(first, end):
        created = start + step * i
        updated = min(created + rng.randrange(0, 86400 * 30) * 1_000_000, now)
        name = f"t{i:0{width}d}"
        tenant_id = lanyard_id(rng, created // 1000)
        tenant = (tenant_id, name, name, f"{rng.choice(WORDS).capitalize()} {rng.choice(SUFFIXES)} {i}", created, updated)
        users = []
        for k in range(per_tenant):
            user_created = created + (k + 1) * 1_000_000
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            email = name + users_of[k]
            username = email[:-len("@bench.example")]
            users.append((lanyard_id(rng, user_created // 1000), tenant_id, email, email, username, username,
                          f"{given} {family}", given, family, f"{given} {family[0]}.", user_created, user_created))
        yield tenant, users


def insert_sql(table: str, columns: list[str], own: list[str], nulls: list[str], source: str, template: str) -> str:
    """INSERT INTO table (every column) SELECT own columns from the seed, the rest from the template row."""
    missing = [c for c in own if c not in columns]
    if missing:
        sys.exit(f"seed: {table} has no column {', '.join(missing)}: the schema changed; update bench/seed_scale.py")
    picks = [f"s.{c}" if c in own else "NULL" if c in nulls else f"t.{c}" for c in columns]
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(picks)} "
            f"FROM {source} s CROSS JOIN {template} t")


class Sampler:
    """Reservoir sample of the seeded users, so lookups hit ids spread over the whole table."""

    def __init__(self):
        self.rng, self.seen, self.rows = random.Random(7), 0, []

    def add(self, user):
        self.seen += 1
        if len(self.rows) < SAMPLE_SIZE:
            self.rows.append(user)
        else:
            j = self.rng.randrange(self.seen)
            if j < SAMPLE_SIZE:
                self.rows[j] = user

    def write(self, path):
        with open(path, "a", encoding="ascii") as f:
            for user in self.rows:
                f.write(f"{user[0]} {user[1]} {user[2]}\n")


def seed_sqlite(path, application_id, demo_email, first, end, per_tenant, sample_out):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    template_user = db.execute(
        "SELECT id, tenant_id FROM users WHERE application_id = ? AND normalized_email = ?", (application_id, demo_email.lower())).fetchone()
    template_tenant = db.execute(
        "SELECT id, created_at FROM tenants WHERE id = ?", (template_user[1] if template_user else "",)).fetchone()
    if template_tenant is None or template_user is None:
        sys.exit(f"seed: no demo tenant or demo user ({demo_email}) of application {application_id} in {path}")
    decoded = sqlite_decode(template_tenant[1])
    decoded_micros = (decoded - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
    if abs(decoded - dt.datetime.now(dt.timezone.utc)) > dt.timedelta(days=2) or sqlite_time(decoded_micros) != template_tenant[1] & ~0x7FF:
        sys.exit(f"seed: the demo tenant's created_at {template_tenant[1]} does not decode as expected ({decoded})")
    tenant_columns = [r[1] for r in db.execute("PRAGMA table_info(tenants)")]
    user_columns = [r[1] for r in db.execute("PRAGMA table_info(users)")]
    db.execute("BEGIN")
    db.execute("CREATE TEMP TABLE seed_tenants (id, name, normalized_name, display_name, created_at, updated_at)")
    db.execute(f"CREATE TEMP TABLE seed_users ({', '.join(USER_OWN)})")
    sampler = Sampler()
    tenants, users = [], []
    for tenant, tenant_users in generate(first, end, per_tenant):
        tenants.append(tenant[:4] + (sqlite_time(tenant[4]), sqlite_time(tenant[5])))
        for u in tenant_users:
            users.append(u[:10] + (sqlite_time(u[10]), sqlite_time(u[11])))
            sampler.add(u)
    db.executemany("INSERT INTO seed_tenants VALUES (?, ?, ?, ?, ?, ?)", tenants)
    db.executemany(f"INSERT INTO seed_users VALUES ({', '.join('?' * len(USER_OWN))})", users)
    db.execute(insert_sql("tenants", tenant_columns, TENANT_OWN, TENANT_NULL, "seed_tenants",
                          f"(SELECT * FROM tenants WHERE id = '{template_tenant[0]}')") + " ORDER BY s.id")
    db.execute(insert_sql("users", user_columns, USER_OWN, USER_NULL, "seed_users",
                          f"(SELECT * FROM users WHERE id = '{template_user[0]}')") + " ORDER BY s.id")
    db.execute("DROP TABLE seed_tenants")
    db.execute("DROP TABLE seed_users")
    db.execute("COMMIT")
    db.execute("ANALYZE")
    # Fold the write-ahead log into the database file, as SQLite's automatic checkpoints would have done
    # long ago in a database that grew to this size: readers would otherwise search a gigabyte of WAL.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = db.execute("SELECT (SELECT count(*) FROM tenants WHERE application_id = ?), (SELECT count(*) FROM users WHERE application_id = ?)",
                        (application_id, application_id)).fetchone()
    db.close()
    sampler.write(sample_out)
    print(counts[0], counts[1])


def write_csv(out_dir, first, end, per_tenant, sample_out):
    sampler = Sampler()
    with open(os.path.join(out_dir, "tenants.csv"), "w", newline="") as tf, open(os.path.join(out_dir, "users.csv"), "w", newline="") as uf:
        tw, uw = csv.writer(tf, lineterminator="\n"), csv.writer(uf, lineterminator="\n")
        for tenant, tenant_users in generate(first, end, per_tenant):
            tw.writerow(tenant)
            uw.writerows(tenant_users)
            for u in tenant_users:
                sampler.add(u)
    sampler.write(sample_out)


def pg_sql(out_dir, user_columns, tenant_columns):
    """The psql script for csv mode's files; psql variables app and demo_email name the templates."""
    print(f"""\\set ON_ERROR_STOP 1
\\timing on
BEGIN;
-- Times arrive as microseconds since 1970; the views turn them into timestamptz for the INSERT ... SELECT.
CREATE TEMP TABLE seed_tenants_raw (id text, name text, normalized_name text, display_name text, created_us bigint, updated_us bigint);
CREATE TEMP TABLE seed_users_raw (id text, tenant_id text, email text, normalized_email text, username text, normalized_username text,
  full_name text, given_name text, family_name text, display_name text, created_us bigint, updated_us bigint);
CREATE TEMP VIEW seed_tenants AS SELECT *, to_timestamp(created_us / 1e6) AS created_at, to_timestamp(updated_us / 1e6) AS updated_at FROM seed_tenants_raw;
CREATE TEMP VIEW seed_users AS SELECT *, to_timestamp(created_us / 1e6) AS created_at, to_timestamp(updated_us / 1e6) AS updated_at FROM seed_users_raw;
\\copy seed_tenants_raw FROM '{out_dir}/tenants.csv' WITH (FORMAT csv)
\\copy seed_users_raw FROM '{out_dir}/users.csv' WITH (FORMAT csv)
{insert_sql("tenants", tenant_columns.split(","), TENANT_OWN, TENANT_NULL, "seed_tenants",
            "(SELECT * FROM tenants WHERE id = (SELECT tenant_id FROM users WHERE application_id = :'app' "
            "AND normalized_email = lower(:'demo_email')))")} ORDER BY s.id;
{insert_sql("users", user_columns.split(","), USER_OWN, USER_NULL, "seed_users",
            "(SELECT * FROM users WHERE application_id = :'app' AND normalized_email = lower(:'demo_email'))")} ORDER BY s.id;
COMMIT;
-- A database that grew to this size over time has been vacuumed (hint bits set, visibility map built) and
-- checkpointed; without this the measured runs would pay for the bulk insert (first reads write every page).
VACUUM (ANALYZE) tenants;
VACUUM (ANALYZE) users;
CHECKPOINT;""")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "pgsql":
        pg_sql(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    target, application_id, demo_email = sys.argv[2], sys.argv[3], sys.argv[4]
    first, end, per_tenant, sample_out = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    if mode == "sqlite":
        seed_sqlite(target, application_id, demo_email, first, end, per_tenant, sample_out)
    elif mode == "csv":
        write_csv(target, first, end, per_tenant, sample_out)
    else:
        sys.exit(f"seed: unknown mode {mode}")
