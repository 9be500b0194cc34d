/**
 * What the kill switch would have saved on the demo's sandbox incident (docs/kill-switch.md "Try it in
 * dry-run for two weeks"): the stop would have been attached by the first daily detection run that read the
 * case's first firing day, and held until someone answered (nobody answers the sandbox's case in the demo),
 * so it would have denied the account's Bedrock spend of every later hour of the data.
 */
import { HOUR_MS } from '../core/hours.js';
import type { IsoDate } from '../core/types.js';
import { firstRunFor } from './watch-tally.js';

export interface KillSwitchSaving {
  accountId: string;
  /** The daily run that would have attached the stop (ms). */
  engagedAt: number;
  /** The end of the data (ms, exclusive) and the hours between. */
  until: number;
  hours: number;
  /** The account's Bedrock spend in those hours, priced by the bill (an estimate). */
  savedUsd: number;
}

export function killSwitchSaving(input: {
  accountId: string;
  firstFiredOn: IsoDate;
  exportLagDays: number;
  hourlyCost: (accountId: string, hourMs: number) => number;
  until: number;
}): KillSwitchSaving | null {
  const engagedAt = firstRunFor(input.firstFiredOn, input.exportLagDays, false);
  if (engagedAt >= input.until) return null;
  let sum = 0;
  for (let t = engagedAt; t < input.until; t += HOUR_MS) sum += input.hourlyCost(input.accountId, t);
  return {
    accountId: input.accountId,
    engagedAt,
    until: input.until,
    hours: (input.until - engagedAt) / HOUR_MS,
    savedUsd: Math.round(sum * 100) / 100,
  };
}
