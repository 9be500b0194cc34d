/**
 * Start-time refusals of a kill switch that could stop the wrong thing (docs/kill-switch.md
 * "Configuration"): each names the key and the fix, and needs no AWS call.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { accountsListedWrongly } from '../../functions/core/kill-switch/decide.js';

const parse = (kill_switch: Record<string, unknown>) => parseConfig({ kill_switch }, 'sentinel.yaml');

describe('kill_switch configuration', () => {
  it('accepts a plain enforce setup with a named break-glass role', () => {
    const ks = parse({
      mode: 'enforce',
      transport: 'organizations',
      accounts: ['222233334444'],
      organizational_units: ['ou-ab12-cd34ef56'],
      break_glass_role: 'arn:aws:iam::*:role/ops/BreakGlass-*',
    }).kill_switch;
    expect(ks.break_glass_role).toBe('arn:aws:iam::*:role/ops/BreakGlass-*');
  });

  it.each([
    [
      { accounts: ['222233334444', '333344445555'], exclude_accounts: ['333344445555'] },
      'kill_switch.exclude_accounts: 333344445555 is also in kill_switch.accounts',
    ],
    [
      { accounts: ['222233334444'], break_glass_role: 'arn:aws:iam::*:role/*' },
      "kill_switch.break_glass_role: 'arn:aws:iam::*:role/*' matches every role",
    ],
    [
      { accounts: ['222233334444'], break_glass_role: 'arn:aws:iam::111122223333:role/*/*' },
      'matches every role',
    ],
    [
      { mode: 'dry-run', transport: 'local', organizational_units: ['ou-ab12-cd34ef56'] },
      'kill_switch.organizational_units: the local transport cannot read',
    ],
  ])('refuses %j', (kill_switch, message) => {
    expect(() => parse({ mode: 'enforce', ...kill_switch })).toThrow(ConfigError);
    expect(() => parse({ mode: 'enforce', ...kill_switch })).toThrow(message);
  });

  it('lets a switched-off block keep organizational units it cannot read locally', () => {
    expect(parse({ mode: 'off', organizational_units: ['ou-ab12-cd34ef56'] }).kill_switch.mode).toBe('off');
  });
});

describe('kill_switch.accounts against the organization, at start', () => {
  const facts = { management_account_id: '111111111111', own_account_id: '444455556666' };
  it('refuses the management account and the deployment account, naming which', () => {
    const on = (accounts: string[]) => accountsListedWrongly({ mode: 'enforce', accounts }, facts);
    expect(on(['222233334444', '111111111111'])).toMatch(
      /^111111111111 is the organization's management account \(SCPs do not apply there\)/,
    );
    expect(on(['444455556666'])).toMatch(/^444455556666 is the deployment's own account/);
    expect(on(['222233334444'])).toBeNull();
  });

  it('says nothing when the switch is off or the organization is unknown', () => {
    expect(accountsListedWrongly({ mode: 'off', accounts: ['111111111111'] }, facts)).toBeNull();
    expect(
      accountsListedWrongly(
        { mode: 'dry-run', accounts: ['111111111111'] },
        { management_account_id: null, own_account_id: null },
      ),
    ).toBeNull();
  });
});
