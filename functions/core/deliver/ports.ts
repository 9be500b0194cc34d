/** What the notify step needs from the outside, and where the crash tests can stop it. */

import type { Logger } from '../log.js';
import type { MessageData, RenderedMessage } from '../notify/message-model.js';
import type { AnswerActionsFor } from '../notify/sections.js';
import type { BlobStore, Clock, EventBus, KillSwitch, Mailer, OwnerDirectory } from '../ports.js';

/** Where the fault-injection hook can stop a process (crash tests). */
export const FAULT_POINTS = [
  'after-transitions',
  'after-claim',
  'after-log-sending',
  'after-send',
  'after-log-sent',
  // The kill switch: the stop is attached (or lifted), not yet recorded in its log or on the case.
  'after-kill-switch-act',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface NotifyPorts {
  store: BlobStore;
  mailer: Mailer;
  events: EventBus;
  owners: OwnerDirectory;
  clock: Clock;
  log: Logger;
  render: (data: MessageData) => RenderedMessage;
  answerActions: AnswerActionsFor;
  /** Called at each protocol point; the crash tests stop the process there (test/fixtures/pipeline-child.mjs). */
  fault?: (point: FaultPoint) => void;
  /**
   * The kill switch (docs/kill-switch.md): engaged and released by the delivery step, reconciled on every
   * run and follow-up. Absent: nothing engages or releases (kill-switch items stay due).
   */
  killSwitch?: KillSwitch;
  /** The digest's release link (or command) for an engaged account (docs/kill-switch.md "Release"). */
  releaseAction?: ReleaseActionFor;
}

/** A signed release link for an engaged account, or the `sentinel kill-switch release` line locally. */
export type ReleaseActionFor = (input: { accountId: string; caseKey: string }) => {
  url: string | null;
  command: string | null;
};
