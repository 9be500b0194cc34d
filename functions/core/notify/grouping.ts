/**
 * Who gets which email (docs/emails.md): recipients per message kind, and the grouping of one run's due
 * emails into one message per kind per recipient set. Pure.
 */

import { type CaseMessageKind, type CaseRecord, type DueItem, hashId, KIND_RANK } from '../cases/model.js';
import type { Owner } from '../ports.js';

export interface NotifyAddresses {
  finops: string;
  escalation: string[];
}

export interface Recipients {
  to: string[];
  cc: string[];
}

const norm = (address: string): string => address.trim().toLowerCase();

/** Dedupes case-insensitively; an address in To is dropped from Cc (To wins). Sorted, for stable ids. */
export function normalizeRecipients(to: string[], cc: string[]): Recipients {
  const toSet = [...new Set(to.map(norm).filter((a) => a !== ''))].sort();
  const ccSet = [...new Set(cc.map(norm).filter((a) => a !== '' && !toSet.includes(a)))].sort();
  return { to: toSet, cc: ccSet };
}

/** Addresses refused for good during the case's current epoch. */
export function refusedAddresses(c: CaseRecord): Set<string> {
  return new Set(c.refused.filter((r) => r.epoch === c.epoch).map((r) => norm(r.address)));
}

/**
 * owner-alert: To owner, Cc the account's cc. reminder: To owner, Cc FinOps and the account's cc.
 * escalation: To the escalation list, Cc owner, FinOps and the account's cc (so escalations group by
 * owner and cc like the rest). A refused owner address is replaced by
 * FinOps for the rest of the epoch; refused cc addresses are left out.
 */
export function recipientsFor(
  kind: CaseMessageKind,
  owner: Owner,
  c: CaseRecord,
  notify: NotifyAddresses,
): Recipients {
  const refused = refusedAddresses(c);
  const ok = (a: string) => !refused.has(norm(a));
  const ownerTo = ok(owner.ownerEmail) ? owner.ownerEmail : notify.finops;
  const accountCc = owner.cc.filter(ok);
  switch (kind) {
    case 'owner-alert':
      return normalizeRecipients([ownerTo], accountCc);
    case 'reminder':
      return normalizeRecipients([ownerTo], [notify.finops, ...accountCc]);
    case 'escalation': {
      const list = notify.escalation.filter(ok);
      return normalizeRecipients(list.length > 0 ? list : [notify.finops], [
        ownerTo,
        notify.finops,
        ...accountCc,
      ]);
    }
  }
}

/**
 * A reminder or an escalation that would go to FinOps alone: FinOps as the fallback owner is not
 * reminded or escalated about itself; the digest lists its unrouted cases instead (docs/emails.md).
 */
export function toFinOpsAlone(kind: CaseMessageKind, recipients: Recipients, finops: string): boolean {
  if (kind === 'owner-alert') return false;
  const self = norm(finops);
  return [...recipients.to, ...recipients.cc].every((a) => a === self);
}

export interface DueCase {
  record: CaseRecord;
  owner: Owner;
  /** The due items this message would report (unclaimed ones). */
  items: DueItem[];
}

export interface PlannedSection {
  record: CaseRecord;
  owner: Owner;
  eventIds: string[];
  /** Update banner: the severity rose and this is not the case's first alert of the epoch. */
  severityRaised: boolean;
}

export interface PlannedMessage {
  messageId: string;
  kind: CaseMessageKind;
  to: string[];
  cc: string[];
  sections: PlannedSection[];
}

/** The kind of one case's merged email: the most advanced step that is due (alert < reminder < escalation). */
export function mergedKind(items: readonly DueItem[]): CaseMessageKind {
  let kind: CaseMessageKind = 'owner-alert';
  for (const item of items) {
    // Kill-switch items are not emails (their executor carries them out).
    if (item.kind !== 'kill-switch' && KIND_RANK[item.kind] > KIND_RANK[kind]) kind = item.kind;
  }
  return kind;
}

export function messageIdFor(
  kind: string,
  recipients: Recipients,
  cases: { caseKey: string; eventIds: string[] }[],
  extra: string[] = [],
): string {
  const parts = cases.map((c) => `${c.caseKey}:${[...c.eventIds].sort().join(',')}`).sort();
  return hashId('message', kind, recipients.to.join(','), recipients.cc.join(','), ...parts, ...extra);
}

/** One message per kind per recipient set; one section per case, ordered by account then case key. */
export function groupDue(dueCases: readonly DueCase[], notify: NotifyAddresses): PlannedMessage[] {
  const groups = new Map<
    string,
    { kind: CaseMessageKind; recipients: Recipients; sections: PlannedSection[] }
  >();
  for (const due of dueCases) {
    if (due.items.length === 0) continue;
    const kind = mergedKind(due.items);
    const recipients = recipientsFor(kind, due.owner, due.record, notify);
    const groupKey = `${kind}|${recipients.to.join(',')}|${recipients.cc.join(',')}`;
    const opened = due.items.some((i) => i.kind === 'owner-alert' && !i.raised);
    const section: PlannedSection = {
      record: due.record,
      owner: due.owner,
      eventIds: due.items.map((i) => i.event_id).sort(),
      severityRaised: kind === 'owner-alert' && !opened && due.items.some((i) => i.raised),
    };
    const group = groups.get(groupKey) ?? { kind, recipients, sections: [] };
    group.sections.push(section);
    groups.set(groupKey, group);
  }
  const messages = [...groups.values()].map((g) => {
    g.sections.sort(
      (a, b) =>
        a.record.account_id.localeCompare(b.record.account_id) ||
        a.record.case_key.localeCompare(b.record.case_key),
    );
    return {
      messageId: messageIdFor(
        g.kind,
        g.recipients,
        g.sections.map((s) => ({ caseKey: s.record.case_key, eventIds: s.eventIds })),
      ),
      kind: g.kind,
      to: g.recipients.to,
      cc: g.recipients.cc,
      sections: g.sections,
    };
  });
  return messages.sort((a, b) => a.messageId.localeCompare(b.messageId));
}
