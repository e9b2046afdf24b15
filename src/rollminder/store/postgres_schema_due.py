"""The SQL of PostgreSQL migration 6 (issue #16), kept apart from postgres_schema.py (its size)."""

from __future__ import annotations

# -- migration 6 (issue #16, reminders at scale) --------------------------------------------------
# The due index: each routine's next reminder instant (routine "" is the profile's first routine
# and what belongs to the profile as a whole: visits, bookings), kept by the use cases after every
# write that can move it and by every delivery pass (rollminder.remind.due). Workers claim due
# rows with FOR UPDATE SKIP LOCKED through rollminder_claim_due(), which runs as the schema's
# owner: the one way across profiles, returning only which profile (its name and account) is due
# and when, never a row of its data. The table holds no personal data (an id, a routine id and an
# instant), so, like login_failures, it has no row-level security; it goes with its profile
# (ON DELETE CASCADE), and is derived data: a restore rebuilds it (`rollminder worker --rebuild`).
V6_DUE_INDEX = """
CREATE TABLE due_reminders (
    profile bigint NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    routine text NOT NULL,
    due_at timestamptz NOT NULL,
    leased_until timestamptz,
    leased_by text NOT NULL DEFAULT '',
    PRIMARY KEY (profile, routine)
);
CREATE INDEX due_reminders_by_due ON due_reminders (due_at);
-- Every row-level-security policy looks the transaction's profile up by name (CURRENT_PROFILE,
-- PROFILE_OF_THE_ACCOUNT), once per statement; the unique index leads with the account, so at
-- 100,000 profiles each statement scanned the profiles table (bench/workers.py, docs/scaling.md).
CREATE INDEX profiles_by_name ON profiles (name);

CREATE FUNCTION rollminder_claim_due(at_ timestamptz, batch integer, who text, lease interval)
RETURNS TABLE (profile_id bigint, profile_name text, account_id bigint, routine text,
    due_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH picked AS (
        SELECT d.profile, d.routine FROM due_reminders d
        WHERE d.due_at <= at_ AND (d.leased_until IS NULL OR d.leased_until <= at_)
        ORDER BY d.due_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE due_reminders d SET leased_until = at_ + lease, leased_by = who
        FROM picked WHERE d.profile = picked.profile AND d.routine = picked.routine
        RETURNING d.profile, d.routine, d.due_at
    )
    SELECT p.id, p.name, p.account_id, taken.routine, taken.due_at
    FROM taken JOIN profiles p ON p.id = taken.profile
    ORDER BY taken.due_at
$$;

CREATE FUNCTION rollminder_due_backlog(at_ timestamptz)
RETURNS TABLE (due bigint, leased bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*), count(*) FILTER (WHERE d.leased_until > at_), min(d.due_at)
    FROM due_reminders d WHERE d.due_at <= at_
$$;
"""


# -- migration 9 (issue #16, prepared passes: rollminder.remind.prepared) ------------------------
# An idle worker stores each profile's next pass ahead of its instant (due_prepared, under the
# profile's row-level security: it holds the reminders' words); at the instant the workers claim,
# read, claim the ledger and record for a whole batch in four statements, through the functions
# below, which run as the schema's owner and act only on the profiles whose due rows the calling
# worker holds (``leased_by``). ``prepared`` on a due row: its profile's pass is stored (or was
# found not to be preparable); every write that can move a reminder clears it and bumps the
# version, so a pass prepared from data read before that write is never stored.
def v9_prepared(the_profile: str) -> str:
    """Migration 9's SQL; ``the_profile`` is the policies' expression of the transaction's
    profile (migration 8's)."""
    return f"""
ALTER TABLE due_reminders ADD COLUMN prepared boolean NOT NULL DEFAULT false;
CREATE INDEX due_reminders_to_prepare ON due_reminders (due_at) WHERE NOT prepared;
CREATE TABLE due_prepared (
    profile_id bigint PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    version bigint NOT NULL DEFAULT 0,
    payload jsonb,
    at timestamptz,
    valid_until timestamptz
);
ALTER TABLE due_prepared ENABLE ROW LEVEL SECURITY;
CREATE POLICY due_prepared_of_the_profile ON due_prepared
    USING (profile_id = {the_profile}) WITH CHECK (profile_id = {the_profile});

CREATE FUNCTION rollminder_claim_unprepared(at_ timestamptz, horizon interval, batch integer,
    who text, lease interval)
RETURNS TABLE (profile_id bigint, profile_name text, account_id bigint, routine text,
    due_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH picked AS (
        SELECT d.profile, d.routine FROM due_reminders d
        WHERE NOT d.prepared AND d.due_at > at_ AND d.due_at <= at_ + horizon
          AND (d.leased_until IS NULL OR d.leased_until <= at_)
        ORDER BY d.due_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE due_reminders d SET leased_until = at_ + lease, leased_by = who
        FROM picked WHERE d.profile = picked.profile AND d.routine = picked.routine
        RETURNING d.profile, d.routine, d.due_at
    )
    SELECT p.id, p.name, p.account_id, taken.routine, taken.due_at
    FROM taken JOIN profiles p ON p.id = taken.profile
    ORDER BY taken.due_at
$$;

CREATE FUNCTION rollminder_take_prepared(ids bigint[], at_ timestamptz, who text)
RETURNS TABLE (profile_id bigint, version bigint, payload jsonb, channels jsonb, secrets jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT x.profile_id, x.version, x.payload,
        (SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'url', c.url,
            'masked', c.masked, 'kind', c.kind, 'created_at', c.created_at) ORDER BY c.seq)
         FROM channels c WHERE c.profile_id = x.profile_id),
        (SELECT jsonb_object_agg(s.name, s.value) FROM secrets s
         WHERE s.profile_id = x.profile_id AND s.name IN ('vapid_private_key', 'action_token'))
    FROM due_prepared x
    WHERE x.profile_id = ANY(ids) AND x.payload IS NOT NULL AND x.at <= at_
      AND at_ < x.valid_until
      AND EXISTS (SELECT 1 FROM due_reminders d WHERE d.profile = x.profile_id
                  AND d.leased_by = who AND d.leased_until > at_)
$$;

CREATE FUNCTION rollminder_claim_prepared(at_ timestamptz, who text, wanted jsonb)
RETURNS TABLE (profile_id bigint, slot text, kind text, channel text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO deliveries AS d (profile_id, slot, kind, channel, state, due_at, claimed_at,
        owner, late)
    SELECT x.p, x.slot, x.kind, x.channel, 'claimed', x.due_at, at_, who, x.late
    FROM jsonb_to_recordset(wanted) AS x(p bigint, slot text, kind text, channel text,
        due_at timestamptz, late boolean)
    WHERE EXISTS (SELECT 1 FROM due_reminders r WHERE r.profile = x.p AND r.leased_by = who)
    ON CONFLICT (profile_id, key_digest) DO NOTHING
    RETURNING d.profile_id, d.slot, d.kind, d.channel
$$;

CREATE FUNCTION rollminder_record_prepared(at_ timestamptz, who text, sent jsonb, failed jsonb,
    advance jsonb)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    advanced integer;
BEGIN
    UPDATE deliveries d SET state = 'recorded', sent_at = x.sent_at, recorded_at = at_
    FROM jsonb_to_recordset(sent) AS x(p bigint, slot text, kind text, channel text,
        sent_at timestamptz)
    WHERE d.profile_id = x.p AND d.key_digest = md5(length(x.slot)::text || ':' || x.slot
        || length(x.kind)::text || ':' || x.kind || x.channel)
      AND d.owner = who AND d.state = 'claimed';
    INSERT INTO channel_status AS s (profile_id, channel, failures, last_sent_at)
    SELECT x.p, x.channel, 0, max(x.sent_at)
    FROM jsonb_to_recordset(sent) AS x(p bigint, channel text, sent_at timestamptz)
    GROUP BY x.p, x.channel
    ON CONFLICT (profile_id, channel) DO UPDATE
        SET failures = 0, retry_at = NULL, last_sent_at = excluded.last_sent_at;
    DELETE FROM deliveries d
    USING jsonb_to_recordset(failed) AS x(p bigint, slot text, kind text, channel text)
    WHERE d.profile_id = x.p AND d.key_digest = md5(length(x.slot)::text || ':' || x.slot
        || length(x.kind)::text || ':' || x.kind || x.channel)
      AND d.owner = who AND d.state = 'claimed';
    WITH bumped AS (
        UPDATE due_prepared x SET payload = NULL, version = x.version + 1
        FROM jsonb_to_recordset(advance) AS a(p bigint, version bigint, next jsonb)
        WHERE x.profile_id = a.p AND x.version = a.version
        RETURNING x.profile_id, a.next
    ), gone AS (
        DELETE FROM due_reminders d USING bumped b
        WHERE d.profile = b.profile_id AND NOT (b.next ? d.routine)
    ), kept AS (
        INSERT INTO due_reminders AS d (profile, routine, due_at, prepared)
        SELECT b.profile_id, e.key, e.value::timestamptz, false
        FROM bumped b, jsonb_each_text(b.next) AS e
        ON CONFLICT (profile, routine) DO UPDATE SET due_at = excluded.due_at, prepared = false
    )
    SELECT count(*) INTO advanced FROM bumped;
    RETURN advanced;
END
$$;
"""


# -- migration 10: the profiles' own policy answered by their index -------------------------------
# Every profile table's policy looks the transaction's profile up in ``profiles``, whose own
# policy (migration 5) said ``account_id IS NOT DISTINCT FROM ...``: no index answers that, so each
# statement scanned every profile (5 ms at 20,000 accounts, half a second at 1,000,000:
# bench/workers.py). The same rule written with the unique index's expression (account ids start
# at 1, so 0 stands for "no account", as in migration 8).
def v10_profiles_policy(current_account: str) -> str:
    rule = (
        f"COALESCE(account_id, 0) = COALESCE({current_account}, 0) AND ({current_account} IS NOT "
        "NULL OR name = current_setting('rollminder.profile', true))"
    )
    return f"ALTER POLICY profiles_of_the_account ON profiles USING ({rule}) WITH CHECK ({rule});\n"


# -- migration 12: a data stamp per profile -------------------------------------------------------
# The data stamp was one row (data_version) that every writing statement of every profile
# updated: each writing transaction held its lock until it committed, so all the service's writes
# (every account's pages, every worker's ledger) went one after another, and any write anywhere
# made every cached page of every account stale. Now each profile has its counter, moved by the
# rows a statement changed (transition tables: one trigger per event), in the same transaction.
# The function runs as the owner (the workers' batch functions change many profiles at once);
# the table holds a number per profile, read under row-level security, and goes with its
# profile. Its column is ``profile``, as the due index's: derived, not a profile's rows, so in
# no backup; a restore moves it forward like any write (a counter that went back could match a
# figure cached before).
_V12_FUNCTION = """
CREATE TABLE profile_versions (
    profile bigint PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    n bigint NOT NULL
);
ALTER TABLE profile_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_versions_of_the_profile ON profile_versions USING (profile = {0});
CREATE FUNCTION rollminder_profile_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE profile_versions SET n = n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO profile_versions AS v (profile, n)
        SELECT DISTINCT profile_id, 1 FROM old_rows ORDER BY profile_id
        ON CONFLICT (profile) DO UPDATE SET n = v.n + 1;
    ELSE
        INSERT INTO profile_versions AS v (profile, n)
        SELECT DISTINCT profile_id, 1 FROM new_rows ORDER BY profile_id
        ON CONFLICT (profile) DO UPDATE SET n = v.n + 1;
    END IF;
    RETURN NULL;
END $$;
"""
_V12_TABLE = """
DROP TRIGGER {0}_moves_the_stamp ON {0};
CREATE TRIGGER {0}_stamp_insert AFTER INSERT ON {0} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollminder_profile_changed();
CREATE TRIGGER {0}_stamp_update AFTER UPDATE ON {0} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollminder_profile_changed();
CREATE TRIGGER {0}_stamp_delete AFTER DELETE ON {0} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollminder_profile_changed();
CREATE TRIGGER {0}_stamp_truncate AFTER TRUNCATE ON {0}
    FOR EACH STATEMENT EXECUTE FUNCTION rollminder_profile_changed();
"""
# Every profile is counted from where it stands (0: no write since): the stamps only move on.
_V12_START = "INSERT INTO profile_versions (profile, n) SELECT id, 1 FROM profiles;\n"


def later_migrations(
    the_profile: str, current_account: str, stamped: tuple[str, ...]
) -> list[tuple[int, str, str]]:
    """Migrations 9 and on (postgres_schema.py is at its size limit): (version, name, SQL).
    ``stamped``: the tables whose writes moved the one data stamp."""
    v12 = _V12_FUNCTION.format(the_profile) + "".join(_V12_TABLE.format(t) for t in stamped)
    return [
        (9, "prepared passes (issue 16)", v9_prepared(the_profile)),
        (10, "the profiles' policy answered by their index", v10_profiles_policy(current_account)),
        (11, "a claim hides its rows until the lease ends (issue 16)", V11_CLAIM),
        (12, "a data stamp per profile", v12 + _V12_START),
        (13, "a claim reads on from the worker's last one (issue 16)", V13_CLAIM),
    ]


# -- migration 11: a claim moves its rows' due_at to the lease's end ------------------------------
# The claim read the due rows in due_at order and skipped those leased: at the peak every row is
# due at the same instant, so each batch walked past every row claimed before it (1,000,000 due:
# 3,700 claims/s, bench/workers.py). Now a claimed row is due again when its lease ends (the
# "visibility timeout" of a queue): the claim reads only rows nobody holds, and a killed
# worker's rows come back as before. The pass or the prepared batch writes the row's next
# instant; what neither touched is looked at again when the lease ends.
V11_CLAIM = """
CREATE OR REPLACE FUNCTION rollminder_claim_due(at_ timestamptz, batch integer, who text,
    lease interval)
RETURNS TABLE (profile_id bigint, profile_name text, account_id bigint, routine text,
    due_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH picked AS (
        SELECT d.profile, d.routine, d.due_at FROM due_reminders d
        WHERE d.due_at <= at_
        ORDER BY d.due_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE due_reminders d SET leased_until = at_ + lease, leased_by = who,
            due_at = at_ + lease
        FROM picked WHERE d.profile = picked.profile AND d.routine = picked.routine
        RETURNING d.profile, d.routine, picked.due_at
    )
    SELECT p.id, p.name, p.account_id, taken.routine, taken.due_at
    FROM taken JOIN profiles p ON p.id = taken.profile
    ORDER BY taken.due_at
$$;
CREATE INDEX due_reminders_leased ON due_reminders (leased_until) WHERE leased_until IS NOT NULL;
CREATE OR REPLACE FUNCTION rollminder_due_backlog(at_ timestamptz)
RETURNS TABLE (due bigint, leased bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT (SELECT count(*) FROM due_reminders d WHERE d.due_at <= at_),
        (SELECT count(*) FROM due_reminders d WHERE d.leased_until > at_),
        (SELECT min(d.due_at) FROM due_reminders d WHERE d.due_at <= at_)
$$;
"""


# -- migration 13: a claim continues where the worker's last one ended -----------------------------
# Schema 11's claim still read the due_at index from its start: every row claimed before left
# an index entry there (its old version; an update of due_at makes a new entry elsewhere), dead
# but stepped over by each later claim until VACUUM, so at 1,000,000 due rows claims still ran at
# 3,975/s (bench/workers.py). Now each worker passes the key (due_at, profile, routine) of the
# last row it claimed and the claim reads on from there on an index of that key; a claim that
# finds fewer rows than it asked for starts again from the beginning (rows released behind the
# cursor, or due since, are found on that pass).
# The workers' batch functions also join their batch (a thousand keys) to tables of a row per
# profile; PostgreSQL plans a function's statements for any argument and chose hash joins, which
# read the whole table: the claim's UPDATE scanned every due row (48 ms at 200,000, auto_explain).
# A join by key is what they do: the functions run with hash and merge joins off.
V13_CLAIM = """
CREATE INDEX due_reminders_by_key ON due_reminders (due_at, profile, routine);
DROP INDEX due_reminders_by_due;
CREATE FUNCTION rollminder_claim_due_after(at_ timestamptz, batch integer, who text,
    lease interval, after_due timestamptz, after_profile bigint, after_routine text)
RETURNS TABLE (profile_id bigint, profile_name text, account_id bigint, routine text,
    due_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH picked AS (
        SELECT d.profile, d.routine, d.due_at FROM due_reminders d
        WHERE d.due_at <= at_ AND (d.due_at, d.profile, d.routine)
            > (COALESCE(after_due, '-infinity'), COALESCE(after_profile, -1),
               COALESCE(after_routine, ''))
        ORDER BY d.due_at, d.profile, d.routine
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE due_reminders d SET leased_until = at_ + lease, leased_by = who,
            due_at = at_ + lease
        FROM picked WHERE d.profile = picked.profile AND d.routine = picked.routine
        RETURNING d.profile, d.routine, picked.due_at
    )
    SELECT p.id, p.name, p.account_id, taken.routine, taken.due_at
    FROM taken JOIN profiles p ON p.id = taken.profile
    ORDER BY taken.due_at, taken.profile, taken.routine
$$;
""" + "".join(
    f"ALTER FUNCTION {f} SET enable_hashjoin = off;\n"
    f"ALTER FUNCTION {f} SET enable_mergejoin = off;\n"
    for f in (
        "rollminder_claim_due_after(timestamptz, integer, text, interval, timestamptz, bigint, "
        "text)",
        "rollminder_claim_due(timestamptz, integer, text, interval)",
        "rollminder_claim_unprepared(timestamptz, interval, integer, text, interval)",
        "rollminder_take_prepared(bigint[], timestamptz, text)",
        "rollminder_claim_prepared(timestamptz, text, jsonb)",
        "rollminder_record_prepared(timestamptz, text, jsonb, jsonb, jsonb)",
    )
)
