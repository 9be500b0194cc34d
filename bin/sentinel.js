#!/usr/bin/env node
// Entry point of the `sentinel` CLI: runs the bundle `npm run build` makes (scripts/bundle-cli.mjs).
import { main } from '../dist/cli/main.js';

// `sentinel detect --json | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
