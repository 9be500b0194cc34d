/**
 * The detector ids, without their modules: `--help` and flag checks need the names, not the SQL and
 * templating the modules load (start-up time is part of every run).
 */
import type { DetectorId } from '../types.js';

/** Every detector over the bill, in the order a run evaluates them and `--help` lists them. */
export const BILL_DETECTORS: readonly DetectorId[] = ['runaway-inference', 'cache-miss', 'budget'];
