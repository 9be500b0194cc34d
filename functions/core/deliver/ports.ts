/** What the notify step needs from the outside, and where the crash tests can stop it. */

import type { Logger } from '../log.js';
import type { MessageData, RenderedMessage } from '../notify/message-model.js';
import type { AnswerActionsFor } from '../notify/sections.js';
import type { BlobStore, Clock, EventBus, Mailer, OwnerDirectory } from '../ports.js';

/** Where the fault-injection hook can stop a process (crash tests). */
export const FAULT_POINTS = [
  'after-transitions',
  'after-claim',
  'after-log-sending',
  'after-send',
  'after-log-sent',
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
}
