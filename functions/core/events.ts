/** EventBridge vocabulary (docs/events.md): every bus adapter publishes with this source and these types. */

export const EVENT_SOURCE = 'ai-spend-sentinel';

export const EVENT_DETAIL_TYPES = [
  'Finding Detected',
  'Case Opened',
  'Case Updated',
  'Case Reminded',
  'Case Escalated',
  'Case Acknowledged',
  'Case Resolved',
  'Case Suppressed',
  'Case Rerouted',
  // The kill switch (docs/kill-switch.md): case events too, written on the case they are about.
  'Kill Switch Would Engage',
  'Kill Switch Engaged',
  'Kill Switch Released',
  'Detection Run Completed',
  'Watch Run Completed',
  'Data Stale',
  'Run Failed',
] as const;

export type EventDetailType = (typeof EVENT_DETAIL_TYPES)[number];

export const isEventDetailType = (value: string): value is EventDetailType =>
  (EVENT_DETAIL_TYPES as readonly string[]).includes(value);
