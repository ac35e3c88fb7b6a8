-- Custom SQL migration.
-- The audit log's hash chain. Each row's hash is sha256 over a canonical text of the row plus the previous
-- row's hash, assigned here in the database (never by the app) in the order rows are appended. The append-only
-- trigger (0001) stops UPDATE, DELETE and TRUNCATE; the chain makes what a superuser does around it visible
-- to `npm run lifeboat -- audit verify`.

-- Canonical serialization: a jsonb array's text form is deterministic (no session setting changes it); the
-- time is written in UTC explicitly because a timestamptz in jsonb would follow the session's TimeZone.
CREATE FUNCTION audit_log_row_hash(r audit_log, prev text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    r.id, to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.actor_id, r.actor_email, r.app_slug,
    r.action, r.params, r.result::text, r.message, r.duration_ms, r.count, prev)::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
INSERT INTO audit_chain_head (id, last_id, hash, rows) VALUES (true, 0, repeat('0', 64), 0);
--> statement-breakpoint
-- Rows written before the chain existed are chained now, in id order (the one UPDATE this table ever gets).
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
--> statement-breakpoint
DO $$
DECLARE
  r audit_log;
  prev text := repeat('0', 64);
  n bigint := 0;
  last bigint := 0;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    UPDATE audit_log SET prev_hash = prev, hash = audit_log_row_hash(r, prev) WHERE id = r.id;
    prev := audit_log_row_hash(r, prev);
    n := n + 1;
    last := r.id;
  END LOOP;
  UPDATE audit_chain_head SET last_id = last, hash = prev, rows = n WHERE id;
END $$;
--> statement-breakpoint
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
--> statement-breakpoint
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_head;
  -- "<xid> <hash>": the last row this transaction appended (transaction-local; reverts on rollback).
  mine text := current_setting('lifeboat.audit_chain', true);
  prev text;
BEGIN
  IF coalesce(mine, '') <> '' AND split_part(mine, ' ', 1) = txid_current()::text THEN
    -- This transaction took the head's row lock at its first append and holds it: nobody appended since.
    prev := split_part(mine, ' ', 2);
  ELSE
    -- The row lock on the single head row serializes appends across every process. Under READ COMMITTED a
    -- locked row is re-read once the previous holder commits, so each row links to the last committed one;
    -- under REPEATABLE READ the same situation raises a serialization error instead of forking the chain.
    SELECT * INTO head FROM audit_chain_head WHERE id FOR UPDATE;
    IF NOT FOUND THEN
      -- Someone removed the head: start again from zero, which `audit verify` reports as a break.
      INSERT INTO audit_chain_head (id, last_id, hash, rows) VALUES (true, 0, repeat('0', 64), 0) ON CONFLICT (id) DO NOTHING;
      SELECT * INTO head FROM audit_chain_head WHERE id FOR UPDATE;
    END IF;
    prev := head.hash;
  END IF;
  -- The id is drawn under the lock, so id order is chain order (the column default drew one already: a gap).
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  NEW.count := coalesce(NEW.count, 1);
  NEW.prev_hash := prev;
  NEW.hash := audit_log_row_hash(NEW, prev);
  PERFORM set_config('lifeboat.audit_chain', txid_current()::text || ' ' || NEW.hash, true);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
--> statement-breakpoint
-- The head moves once per statement, not per row: updating one row many times in one transaction leaves a
-- chain of versions every later update must walk (a 50,000-row INSERT took minutes that way).
CREATE FUNCTION audit_log_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE audit_chain_head h SET last_id = n.id, hash = n.hash, rows = h.rows + (SELECT count(*) FROM inserted)
  FROM (SELECT id, hash FROM inserted ORDER BY id DESC LIMIT 1) n WHERE h.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_chain_head AFTER INSERT ON audit_log REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_chain_head();
