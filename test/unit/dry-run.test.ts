/** A dry run replaces every port that acts on the world, by the port's kind (docs/architecture.md "Dry run"). */
import { describe, expect, it } from 'vitest';
import { DryRunPortError, dryRunPorts } from '../../functions/core/dry-run.js';
import { silentLogger } from '../../functions/core/log.js';
import { type EngagedAccount, fixedClock, type KillSwitch } from '../../functions/core/ports.js';
import { MemoryBlobStore, RecordingBus, RecordingMailer } from '../fixtures/case-ports.js';

class CountingKillSwitch implements KillSwitch {
  readonly kind = 'kill-switch' as const;
  calls: string[] = [];
  async engage(input: Parameters<KillSwitch['engage']>[0]) {
    this.calls.push(`engage ${input.account_id}`);
    return { policy_id: 'p-1', engaged_at: '2026-03-01T00:00:00Z' };
  }
  async release(input: { account_id: string }) {
    this.calls.push(`release ${input.account_id}`);
  }
  async engaged(): Promise<EngagedAccount[]> {
    return [];
  }
  async organization() {
    return { management_account_id: null, own_account_id: null, ou_accounts: {} };
  }
  describe() {
    return 'counting';
  }
}

describe('dry run', () => {
  it('replaces the store, mailer, bus and kill switch by their kind, so none of them acts', async () => {
    const store = new MemoryBlobStore();
    const mailer = new RecordingMailer();
    const bus = new RecordingBus();
    const killSwitch = new CountingKillSwitch();
    const { ports, record } = dryRunPorts({
      store,
      mailer,
      events: bus,
      killSwitch,
      clock: fixedClock('2026-03-01T00:00:00Z'),
      log: silentLogger(),
    });
    await ports.store.put('cases/a.json', '{}');
    expect(await ports.store.get('cases/a.json')).toBeDefined();
    expect(await store.get('cases/a.json')).toBeUndefined();
    await ports.mailer.send({
      messageId: 'm',
      from: 'a@example.com',
      to: ['b@example.com'],
      cc: [],
      subject: 's',
      html: '',
      text: '',
      caseKeys: [],
      kind: 'owner-alert',
      replyTo: [],
      inReplyTo: null,
      references: [],
    });
    expect(mailer.sent).toEqual([]);
    expect(record.sent.map((m) => m.messageId)).toEqual(['m']);
    await ports.events.publish([{ id: 'e', detailType: 'Case Opened', time: '', detail: {} }]);
    expect(bus.events).toEqual([]);
    await ports.killSwitch.engage({
      account_id: '111111111111',
      case_key: 'k',
      reason: 'r',
      policy: { Version: '2012-10-17', Statement: [] },
    });
    await ports.killSwitch.release({ account_id: '111111111111' });
    expect(killSwitch.calls).toEqual([]);
    expect(record.killSwitch).toEqual([
      { action: 'engage', account_id: '111111111111', case_key: 'k' },
      { action: 'release', account_id: '111111111111' },
    ]);
  });

  it('refuses to start with a field that is not a port of a known kind nor a read-only helper', () => {
    // A side-effecting port someone added without a kind: the dry run must not let it act.
    const webhook = { post: async () => {} };
    expect(() => dryRunPorts({ store: new MemoryBlobStore(), webhook })).toThrow(DryRunPortError);
    expect(() => dryRunPorts({ store: new MemoryBlobStore(), webhook })).toThrow(/'webhook'/);
    // A port that claims a kind no stand-in exists for is refused too.
    expect(() => dryRunPorts({ pager: { kind: 'pager', page: async () => {} } })).toThrow(/'pager'/);
  });
});
