"""Writes COUNT tenants of one application into a stopped Lanyard server's database, the way the
application writes them: each row is a copy of an existing tenant of that application (the demo
tenant: status, type, flags, signup domains and version as the server stored them) with its own
id, name, normalized name, display name and timestamps.

  seed_tenants.py sqlite PATH_TO_lanyard.db APPLICATION_ID COUNT
  seed_tenants.py csv    OUT.csv            APPLICATION_ID COUNT   (rows for PostgreSQL's COPY)

Ids follow Common/LanyardId.cs: 26 lowercase base32 digits (alphabet 2-7a-z in ASCII order) of a
48-bit millisecond timestamp and 80 random bits, so they sort by creation time. Names are
t00000..t99999 (3-20 characters, lowercase, unique); display names are two words and the number.
"""
import csv
import datetime as dt
import random
import secrets
import sqlite3
import sys

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
WORDS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
         "soylent", "oscorp", "aperture", "vandelay", "massive", "dynamic", "pied", "piper", "monarch", "gringotts"]
SUFFIXES = ["Labs", "Corp", "Group", "Holdings", "Systems", "Partners", "Works", "Industries", "Studio", "Health"]


def lanyard_id(millis: int) -> str:
    # 128 bits, most significant first, in 26 base32 digits; the last digit carries the low 3 bits
    # followed by two zero bits, as LanyardId.Encode does.
    value = ((millis << 80) | secrets.randbits(80)) << 2
    digits = []
    for _ in range(26):
        digits.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(digits))


def sqlite_time(moment: dt.datetime) -> int:
    # EF Core's DateTimeOffsetToBinaryConverter (Persistence/ProviderContexts.cs): ticks / 1000 shifted
    # left 11 bits, the offset in minutes in the low 11 bits (0: all times are UTC).
    ticks = (moment - dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1) * 10
    return (ticks // 1000) << 11


def sqlite_decode(value: int) -> dt.datetime:
    ticks = (value >> 11) * 1000
    return dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ticks // 10)


def rows(count: int):
    rng = random.Random(42)
    width = max(5, len(str(count - 1)))
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = now - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / count
    for i in range(count):
        created = start + step * i
        updated = created + dt.timedelta(seconds=rng.randrange(0, 86400 * 30))
        if updated > now:
            updated = now
        name = f"t{i:0{width}d}"
        display = f"{rng.choice(WORDS).capitalize()} {rng.choice(SUFFIXES)} {i}"
        yield lanyard_id(int(created.timestamp() * 1000)), name, display, created, updated


def seed_sqlite(path: str, application_id: str, count: int) -> None:
    db = sqlite3.connect(path)
    template = db.execute(
        "SELECT id, created_at FROM tenants WHERE application_id = ? ORDER BY created_at LIMIT 1", (application_id,)).fetchone()
    if template is None:
        sys.exit(f"seed: no tenant of application {application_id} to copy in {path}")
    # The encoding check: the demo tenant's stored time must decode to a time near now.
    decoded = sqlite_decode(template[1])
    if abs(decoded - dt.datetime.now(dt.timezone.utc)) > dt.timedelta(days=2) or sqlite_time(decoded) != template[1] & ~0x7FF:
        sys.exit(f"seed: the demo tenant's created_at {template[1]} does not decode as expected ({decoded})")
    db.execute("CREATE TEMP TABLE seed (id TEXT, name TEXT, display_name TEXT, created_at INTEGER, updated_at INTEGER)")
    db.executemany("INSERT INTO seed VALUES (?, ?, ?, ?, ?)",
                   ((i, n, d, sqlite_time(c), sqlite_time(u)) for i, n, d, c, u in rows(count)))
    db.execute("""
        INSERT INTO tenants (id, application_id, name, normalized_name, display_name, description, logo_url, status, type,
                             signup_enabled, allowed_signup_email_domains, custom_domain, custom_domain_verified,
                             public_metadata, restricted_metadata, created_at, updated_at, version)
        SELECT s.id, t.application_id, s.name, lower(s.name), s.display_name, NULL, NULL, t.status, t.type,
               t.signup_enabled, t.allowed_signup_email_domains, NULL, 0, NULL, NULL, s.created_at, s.updated_at, t.version
        FROM seed s CROSS JOIN tenants t WHERE t.id = ?""", (template[0],))
    db.commit()
    total = db.execute("SELECT count(*) FROM tenants WHERE application_id = ?", (application_id,)).fetchone()[0]
    db.close()
    print(total)


def write_csv(path: str, count: int) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for i, n, d, c, u in rows(count):
            w.writerow([i, n, d, c.isoformat(), u.isoformat()])


if __name__ == "__main__":
    mode, path, application_id, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "sqlite":
        seed_sqlite(path, application_id, count)
    elif mode == "csv":
        write_csv(path, count)
    else:
        sys.exit(f"seed: unknown mode {mode}")
