import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOwnerDirectory, parseOwnersCsv, parseOwnersYaml } from '../../functions/adapters/owners/file.js';
import { BadInputError } from '../../functions/core/errors.js';

describe('owners mapping (docs/emails.md)', () => {
  it('reads CSV with several cc addresses separated by ;', () => {
    const entries = parseOwnersCsv(
      'account_id,owner_email,account_name,team,cc\n111111111111,ana@example.com,"Payments, EU",pay,a@example.com; b@example.com\n',
      'owners.csv',
    );
    expect(entries).toEqual([
      {
        accountId: '111111111111',
        ownerEmail: 'ana@example.com',
        accountName: 'Payments, EU',
        team: 'pay',
        cc: ['a@example.com', 'b@example.com'],
      },
    ]);
  });

  it('reads YAML as a list or as a map keyed by account id, keeping leading zeros', () => {
    const list = parseOwnersYaml(
      '- account_id: "012345678901"\n  owner_email: ana@example.com\n  cc: [x@example.com]\n',
      'o.yaml',
    );
    expect(list[0]).toMatchObject({ accountId: '012345678901', cc: ['x@example.com'] });
    const map = parseOwnersYaml(
      '"012345678901":\n  owner_email: ana@example.com\n  cc: "x@example.com;y@example.com"\n',
      'o.yaml',
    );
    expect(map[0]).toMatchObject({ accountId: '012345678901', cc: ['x@example.com', 'y@example.com'] });
  });

  it('names the line of a bad row in the file, counting blank lines and quoted line breaks', () => {
    const csv = [
      'account_id,owner_email,account_name',
      '111111111111,ana@example.com,Payments',
      '',
      '222222222222,ben@example.com,"Search',
      'and Ads"',
      '   ,  ,  ',
      '333333333333,not-an-address,Data',
    ].join('\r\n');
    expect(() => parseOwnersCsv(csv, 'owners.csv')).toThrow(
      /owners file owners.csv line 7: owner_email 'not-an-address'/,
    );
    // The rows around the blank and whitespace-only lines still read.
    const good = parseOwnersCsv(csv.replace('not-an-address', 'cai@example.com'), 'owners.csv');
    expect(good.map((e) => [e.accountId, e.accountName])).toEqual([
      ['111111111111', 'Payments'],
      ['222222222222', 'Search\nand Ads'],
      ['333333333333', 'Data'],
    ]);
  });

  it('refuses CSV with an unclosed quote, naming the file', () => {
    expect(() =>
      parseOwnersCsv('account_id,owner_email\n111111111111,"ana@example.com\n', 'owners.csv'),
    ).toThrow(/owners file owners.csv is not valid CSV/);
  });

  it('names the row and value of a bad address', () => {
    expect(() =>
      parseOwnersCsv('account_id,owner_email\n111111111111,not-an-address\n', 'owners.csv'),
    ).toThrow(/owners file owners.csv line 2: owner_email 'not-an-address'/);
  });

  it('gives FinOps the unmapped accounts (routed: false), and every account without a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owners-'));
    const path = join(dir, 'owners.csv');
    await writeFile(path, 'account_id,owner_email\n111111111111,ana@example.com\n');
    const owners = await loadOwnerDirectory(path, 'finops@example.com');
    expect(owners.lookup('111111111111')).toMatchObject({ ownerEmail: 'ana@example.com', routed: true });
    expect(owners.lookup('999999999999')).toMatchObject({ ownerEmail: 'finops@example.com', routed: false });
    const none = await loadOwnerDirectory(null, 'finops@example.com');
    expect(none.lookup('111111111111')).toMatchObject({ ownerEmail: 'finops@example.com', routed: false });
  });

  it('rejects an account id that is not exactly 12 digits, naming the row (a spreadsheet ate the zeros)', () => {
    for (const id of ['12345678901', '8.78932665451E+11', '1234567890123', '12345678901a']) {
      expect(() => parseOwnersCsv(`account_id,owner_email\n${id},ana@example.com\n`, 'owners.csv')).toThrow(
        new RegExp(
          `owners file owners.csv line 2: account_id '${id.replace(/[.+]/g, '\\$&')}' is not a 12-digit`,
        ),
      );
    }
    expect(() =>
      parseOwnersYaml('- account_id: 12345678901\n  owner_email: a@example.com\n', 'o.yaml'),
    ).toThrow(/owners file o.yaml entry 1: account_id '12345678901'/);
    expect(
      parseOwnersYaml('- account_id: 123456789012\n  owner_email: a@example.com\n', 'o.yaml')[0],
    ).toMatchObject({ accountId: '123456789012' });
  });

  it('says whether a mapping was given: none configured, or a file (even one lacking the account)', async () => {
    expect((await loadOwnerDirectory(null, 'finops@example.com')).configured).toBe(false);
    const dir = await mkdtemp(join(tmpdir(), 'owners-'));
    const path = join(dir, 'owners.csv');
    await writeFile(path, 'account_id,owner_email\n');
    expect((await loadOwnerDirectory(path, 'finops@example.com')).configured).toBe(true);
  });

  it('rejects a configured file that does not exist as bad input (exit 2)', async () => {
    await expect(loadOwnerDirectory('/nonexistent/owners.csv', 'finops@example.com')).rejects.toBeInstanceOf(
      BadInputError,
    );
  });
});
