// Runs a Node entry point in this process and reports the process's peak RSS and CPU time (user and
// system, every thread: DuckDB's workers included) on stderr at exit, so the figures need no external tool. usage: node max-rss.mjs SCRIPT ARGS...
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], resolve(script), ...args];
process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(
    2,
    `\nBENCH_MAX_RSS_KB=${usage.maxRSS}\nBENCH_CPU_US=${usage.userCPUTime + usage.systemCPUTime}\n`,
  );
});
await import(pathToFileURL(resolve(script)).href);
