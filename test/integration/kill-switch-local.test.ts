/**
 * LocalKillSwitch on a local directory through the BlobStore: the KillSwitch contract, the file it keeps,
 * and a damaged file named in the error.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDirBlobStore } from '../../functions/adapters/blob-store/local-dir.js';
import { ENGAGED_KEY, LocalKillSwitch } from '../../functions/adapters/kill-switch/local.js';
import { UpstreamError } from '../../functions/core/errors.js';
import { DOCUMENT, killSwitchContract, settableClock, T0 } from '../fixtures/kill-switch-contract.js';

const tempRoot = () => mkdtemp(join(tmpdir(), 'sentinel-kill-switch-'));

killSwitchContract('LocalKillSwitch', async () => {
  const clock = settableClock(T0);
  return {
    killSwitch: new LocalKillSwitch(new LocalDirBlobStore(await tempRoot()), { clock }),
    accounts: ['222233334444', '333344445555', '444455556666'],
    clock,
  };
});

describe('LocalKillSwitch', () => {
  it('keeps <out>/kill-switch/engaged.json: one JSON line, accounts sorted, each with the document it would attach', async () => {
    const root = await tempRoot();
    const ks = new LocalKillSwitch(new LocalDirBlobStore(root), { clock: settableClock(T0) });
    await ks.engage({ account_id: '333344445555', case_key: 'k2', reason: 'r', policy: DOCUMENT });
    await ks.engage({ account_id: '222233334444', case_key: 'k1', reason: 'r', policy: DOCUMENT });
    const text = await readFile(join(root, 'kill-switch', 'engaged.json'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(text)).toEqual({
      accounts: [
        {
          account_id: '222233334444',
          policy_id: 'local-stop-222233334444',
          case_key: 'k1',
          engaged_at: T0,
          policy: DOCUMENT,
        },
        {
          account_id: '333344445555',
          policy_id: 'local-stop-333344445555',
          case_key: 'k2',
          engaged_at: T0,
          policy: DOCUMENT,
        },
      ],
    });
    expect(ks.describe()).toBe(`local kill switch (${join(root, ENGAGED_KEY)})`);
  });

  it('writes nothing when a release finds nothing to release', async () => {
    const root = await tempRoot();
    const ks = new LocalKillSwitch(new LocalDirBlobStore(root));
    await ks.release({ account_id: '222233334444' });
    await expect(readFile(join(root, 'kill-switch', 'engaged.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('names a damaged file instead of treating it as "nothing engaged"', async () => {
    const root = await tempRoot();
    const store = new LocalDirBlobStore(root);
    await store.put(ENGAGED_KEY, '{"accounts": [');
    const ks = new LocalKillSwitch(store);
    await expect(ks.engaged()).rejects.toThrow(UpstreamError);
    await expect(ks.engaged()).rejects.toThrow(`${join(root, ENGAGED_KEY)} is not a kill switch file`);
    await writeFile(join(root, ENGAGED_KEY), '{"accounts": {}}');
    await expect(ks.release({ account_id: '222233334444' })).rejects.toThrow(/is not a kill switch file/);
  });

  it('knows no organization unless told (the local transport has none to ask)', async () => {
    const ks = new LocalKillSwitch(new LocalDirBlobStore(await tempRoot()));
    expect(await ks.readOrganization()).toEqual({ management_account_id: null, ou_accounts: {} });
    const told = new LocalKillSwitch(new LocalDirBlobStore(await tempRoot()), {
      organization: { management_account_id: '111111111111' },
    });
    expect((await told.readOrganization()).management_account_id).toBe('111111111111');
  });
});
