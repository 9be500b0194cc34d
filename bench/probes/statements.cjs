// Preloaded with `node -r` into a benchmarked process: stamps when DuckDB's native binding is loaded,
// when each statement enters and leaves it, and when the process exits, and reports them on stderr at
// exit (one line, BENCH_STATEMENTS=<json>). The process runs as built: only the binding's `query` is
// wrapped, in a copy of the module object (the binding's own properties cannot be reassigned).
const Module = require('node:module');
const { writeSync } = require('node:fs');

const stamps = { loaded: null, statements: [], exit: null };
const load = Module._load;
let wrapped = null;
Module._load = function loadWithStamps(request, ...rest) {
  const loaded = load.call(this, request, ...rest);
  if (!/duckdb\.node$/.test(request)) return loaded;
  if (wrapped) return wrapped;
  stamps.loaded = performance.now();
  const copy = {};
  for (const name of Object.getOwnPropertyNames(loaded)) copy[name] = loaded[name];
  copy.query = async function query(connection, sql) {
    const start = performance.now();
    try {
      return await loaded.query.call(loaded, connection, sql);
    } finally {
      // The statement's first words name it (the SQL files start with a comment saying what they are).
      const text = String(sql).replace(/\s+/g, ' ').trim().slice(0, 80);
      stamps.statements.push({ text, start, end: performance.now() });
    }
  };
  wrapped = copy;
  return copy;
};
process.on('exit', () => {
  stamps.exit = performance.now();
  writeSync(2, `\nBENCH_STATEMENTS=${JSON.stringify(stamps)}\n`);
});
