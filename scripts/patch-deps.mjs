// Applies Lifeboat's fixes to installed dependencies; run by `npm ci` / `npm install` (postinstall).
// Each fix names the exact text it replaces: an already-fixed file is left alone, and a file that has
// neither the old nor the new text (the dependency changed) stops the install with what to do, rather
// than run with the fix silently missing. Each fix says why it exists.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

// postgres.js 3.4.9 loses track of a session that the server ended (pg_terminate_backend, a restart, a
// timeout). Upstream reports, all open: porsager/postgres#1223, #1215, #1208, #1154, #1133. Lifeboat ends
// sessions on purpose (clones, swaps) and must survive its own metadata database restarting, so:
// 1. A closed connection kept the ended session's query, error and partial rows, and replayed them onto the
//    next session: the first query after a session ended mid-query failed with the old error (57P01, or "not
//    currently accepting connections" after an outage). It also kept unsent bytes and a flush timer marked
//    pending, so the next session's first messages could follow stale bytes, or never be sent.
const closedForgets = {
  before: `    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)`,
  after: `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null // lifeboat patch: no stale bytes or flush timer for the next session
    socket.removeListener('data', data)`,
};
const closedResets = {
  before: `    if (initial)
      return reconnect()

    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
`,
  after: `    if (initial) {
      query = errorResponse = results = null // lifeboat patch: nothing of the ended session reaches the next
      result = new Result()
      return reconnect()
    }

    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = errorResponse = results = null // lifeboat patch: nothing of the ended session reaches the next
    result = new Result()
`,
};
// 2. A query written to a connection whose socket is gone (a reserved connection or a transaction's, after
//    the server ended it) threw a TypeError from a timer: an uncaught exception that ended the process. It is
//    now rejected with CONNECTION_CLOSED, like any query on a closed connection.
const nextWriteGuard = {
  before: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
  after: `  function nextWrite(fn) {
    if (!socket) { // lifeboat patch: the session is gone; reject what was written to it, never throw
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      const err = Errors.connection('CONNECTION_CLOSED', options)
      query && queryError(query, err)
      while (sent.length)
        queryError(sent.shift(), err)
      query = null
      return false
    }
    const x = socket.write(chunk, fn)`,
};
// 3. After a transaction's (sql.begin) or a reservation's (sql.reserve) connection closed, its later
//    queries — the ROLLBACK or COMMIT among them — went to whatever session the pool opened next on that
//    connection: outside the transaction, where a COMMIT "succeeds". They are now rejected.
const beginRejectsAfterClose = {
  before: `        new Promise((_, reject) => connection.onclose = reject)`,
  after: `        new Promise((_, reject) => connection.onclose = (e) => (closedError = e, reject(e))) // lifeboat patch`,
};
const beginTracksClose = {
  before: `    let savepoints = 0
      , connection
      , prepare = null
`,
  after: `    let savepoints = 0
      , connection
      , prepare = null
      , closedError = null // lifeboat patch: set once the transaction's connection closed
`,
};
const beginHandlerRejects = {
  before: `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        c.queue === full`,
  after: `      function handler(q) {
        q.catch(e => uncaughtError || (uncaughtError = e))
        if (closedError) // lifeboat patch: never outside the transaction
          return q.reject(closedError)
        c.queue === full`,
};
const reserveRejectsAfterClose = {
  before: `    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      onopen(c)
    }

    return sql

    function handler(q) {
      c.queue === full`,
  after: `    let closedError = null // lifeboat patch: set once the reserved connection closed
    c.onclose = (e) => closedError = e
    const sql = Sql(handler)
    sql.release = () => {
      c.reserved = null
      c.onclose = null
      closedError || onopen(c)
    }

    return sql

    function handler(q) {
      if (closedError) // lifeboat patch: never on a session other than the reserved one
        return q.reject(closedError)
      c.queue === full`,
};

const fixes = [
  { pkg: "postgres", version: "3.4.9", files: ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"], edits: [closedForgets, closedResets, nextWriteGuard] },
  { pkg: "postgres", version: "3.4.9", files: ["src/index.js", "cjs/src/index.js", "cf/src/index.js"], edits: [beginTracksClose, beginRejectsAfterClose, beginHandlerRejects, reserveRejectsAfterClose] },
];

let failed = false;
for (const fix of fixes) {
  const dir = path.join(root, "node_modules", fix.pkg);
  if (!fs.existsSync(dir)) continue; // not installed (e.g. --omit of its group): nothing to fix
  const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  if (version !== fix.version) {
    console.error(`patch-deps: ${fix.pkg} is ${version}, the fix was written for ${fix.version}. Check whether upstream fixed it, then update or remove the fix in scripts/patch-deps.mjs.`);
    failed = true;
    continue;
  }
  for (const rel of fix.files) {
    const file = path.join(dir, rel);
    const original = fs.readFileSync(file, "utf8");
    let text = original;
    for (const edit of fix.edits) {
      if (text.includes(edit.after)) continue;
      if (!text.includes(edit.before)) {
        console.error(`patch-deps: ${fix.pkg}/${rel} does not contain the text the fix replaces; update scripts/patch-deps.mjs.`);
        failed = true;
        continue;
      }
      text = text.replace(edit.before, edit.after);
    }
    if (text === original) continue; // already fixed
    // A new file (not an edit in place): a hard-linked copy of node_modules elsewhere keeps its own.
    const tmp = `${file}.lifeboat-patch`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
}
if (failed) process.exit(1);
