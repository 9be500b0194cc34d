#!/usr/bin/env node
// Entry point of the `sentinel` CLI: runs the compiled TypeScript (npm run build).
import { main } from '../dist/functions/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
