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
