#!/usr/bin/env node
// Entry point of the `sentinel` CLI: runs the compiled TypeScript (npm run build).
import { main } from '../dist/functions/cli/main.js';

// `sentinel detect --json | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
