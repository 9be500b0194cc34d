/**
 * What the demo says the kill switch would have saved (functions/synthetic/kill-switch-tally.ts): the
 * account's spend from the daily run that first reads the case's first firing day to the end of the data.
 */
import { describe, expect, it } from 'vitest';
import { killSwitchSaving } from '../../functions/synthetic/kill-switch-tally.js';

const at = (iso: string) => Date.parse(iso);

describe('the kill switch saving of the demo', () => {
  it('counts every hour from the daily run that reads the first firing day to the end of the data', () => {
    // First fired as of 30 Nov; with a one-day export lag the daily run reads it on 2 Dec at 06:00.
    const saving = killSwitchSaving({
      accountId: '870391096035',
      firstFiredOn: '2026-11-30',
      exportLagDays: 1,
      hourlyCost: (account, hour) =>
        account === '870391096035' && hour >= at('2026-12-01T00:00:00Z') ? 2.5 : 100,
      until: at('2026-12-06T00:00:00Z'),
    });
    expect(saving).toEqual({
      accountId: '870391096035',
      engagedAt: at('2026-12-02T06:00:00Z'),
      until: at('2026-12-06T00:00:00Z'),
      hours: 90,
      savedUsd: 225,
    });
  });

  it('says nothing was saved when the data ends before the stop would have been attached', () => {
    expect(
      killSwitchSaving({
        accountId: '870391096035',
        firstFiredOn: '2026-12-05',
        exportLagDays: 1,
        hourlyCost: () => 1,
        until: at('2026-12-06T00:00:00Z'),
      }),
    ).toBeNull();
  });
});
