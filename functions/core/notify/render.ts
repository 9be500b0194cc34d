/**
 * Renders a message (subject, HTML, text) from MessageData with the Handlebars templates in the
 * package's `templates/` folder. Templates compile once, on first use. HTML escapes every value;
 * the text part is compiled with noEscape so account names read as they are; the subject is
 * one line.
 */
import Handlebars from 'handlebars';
import { listAssets, readAsset } from '../assets.js';
import {
  count,
  date,
  dateRange,
  dateTime,
  decimal,
  headerSafe,
  money,
  percent,
  ratio,
  shortDate,
  shortDateTime,
  tokens,
} from '../format.js';
import {
  type CaseSection,
  MESSAGE_KINDS,
  type MessageData,
  type MessageKind,
  RENDERED_KINDS,
  type RenderedMessage,
} from './message-model.js';
import { messageView, sectionView } from './view.js';

export { MESSAGE_KINDS, RENDERED_KINDS };

export const isMessageKind = (value: string): value is MessageKind =>
  (RENDERED_KINDS as readonly string[]).includes(value);

/** Handlebars helpers, by name; templates/README.md documents each. */
export const HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  money: (v, digits) => money(v, typeof digits === 'number' ? digits : 2),
  ratio: (v) => ratio(v),
  percent: (v, digits) => percent(v, typeof digits === 'number' ? digits : 1),
  tokens: (v) => tokens(v),
  count: (v) => count(v),
  /** A plain decimal, at most `digits` places, trailing zeros dropped: 0.2026453 → `0.20265`. */
  decimal: (v, digits) => decimal(v, typeof digits === 'number' ? digits : 5),
  date: (v) => date(v),
  shortDate: (v) => shortDate(v),
  dateTime: (v) => dateTime(v),
  shortDateTime: (v) => shortDateTime(v),
  dateRange: (a, b) => dateRange(a, b),
  eq: (a, b) => a === b,
  gt: (a, b) => typeof a === 'number' && typeof b === 'number' && a > b,
  and: (...args) => args.slice(0, -1).every(Boolean),
  or: (...args) => args.slice(0, -1).some(Boolean),
  not: (v) => !v,
  concat: (...args) => args.slice(0, -1).map(String).join(''),
  /** `{{plural n "day" "days"}}` → `3 days` */
  plural: (n, one, many) => `${count(n)} ${n === 1 ? String(one) : String(many)}`,
  join: (list, separator) =>
    Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : '',
  /**
   * A command line in chunks that may wrap between them, never inside a flag:
   * `sentinel ack --case K --out D` → [{flag: null, value: 'sentinel ack'}, {flag: '--case', value: 'K'}, …].
   */
  commandChunks: (v) =>
    String(v ?? '')
      .split(/ (?=--)/)
      .map((chunk) => {
        const m = /^(--\S+)(?: (.*))?$/.exec(chunk);
        return m ? { flag: m[1], value: m[2] ?? '' } : { flag: null, value: chunk };
      }),
  /** Capitals, for the text part's banners: `{{upper "no answer yet"}}` → `NO ANSWER YET`. */
  upper: (v) => String(v ?? '').toUpperCase(),
  /** An address in two parts, for a narrow table cell that may break only before the `@`. */
  emailParts: (v) => {
    const address = String(v ?? '');
    const at = address.lastIndexOf('@');
    return at < 0
      ? { local: address, domain: '' }
      : { local: address.slice(0, at), domain: address.slice(at) };
  },
  /** Pads on the right to a width (text tables). */
  pad: (v, width) => String(v ?? '').padEnd(typeof width === 'number' ? width : 0),
};

interface CompiledMessage {
  subject: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

export interface Renderer {
  render(data: MessageData): RenderedMessage;
  /** A case's one-line summary, as the subjects give it (the `case-headline` partial). */
  headline(section: CaseSection): string;
}

/** Builds a renderer over a templates folder (default: the package's own). */
export function createRenderer(templatesDir = 'templates'): Renderer {
  const htmlEnv = Handlebars.create();
  const textEnv = Handlebars.create();
  for (const env of [htmlEnv, textEnv]) {
    for (const [name, fn] of Object.entries(HELPERS)) env.registerHelper(name, fn);
  }
  // Strict: a template that names a field the data lacks fails loudly instead of printing nothing.
  const htmlOptions: CompileOptions = { strict: true };
  const textOptions: CompileOptions = { strict: true, noEscape: true };

  const partialsDir = `${templatesDir}/partials`;
  for (const file of listAssets(partialsDir)) {
    const match = /^(.+)\.(html|text)\.hbs$/.exec(file);
    if (!match) continue;
    const [, name, part] = match as unknown as [string, string, 'html' | 'text'];
    const source = readAsset(`${partialsDir}/${file}`);
    if (part === 'html') htmlEnv.registerPartial(name, htmlEnv.compile(source, htmlOptions));
    else textEnv.registerPartial(name, textEnv.compile(source, textOptions));
  }

  const compiled = new Map<MessageKind, CompiledMessage>();
  const templatesOf = (kind: MessageKind): CompiledMessage => {
    let found = compiled.get(kind);
    if (!found) {
      const read = (suffix: string) => readAsset(`${templatesDir}/${kind}.${suffix}.hbs`);
      found = {
        subject: textEnv.compile(read('subject'), textOptions),
        html: htmlEnv.compile(read('html'), htmlOptions),
        text: textEnv.compile(read('text'), textOptions),
      };
      compiled.set(kind, found);
    }
    return found;
  };

  let headlineTemplate: Handlebars.TemplateDelegate | undefined;
  const headline = (section: CaseSection): string => {
    headlineTemplate ??= textEnv.compile('{{> case-headline}}', textOptions);
    return headerSafe(headlineTemplate(withView(section)));
  };

  return {
    headline,
    render(data: MessageData): RenderedMessage {
      if (!isMessageKind(data.kind)) {
        throw new Error(
          `unknown message kind '${String(data.kind)}'; expected one of ${RENDERED_KINDS.join(', ')}`,
        );
      }
      if (data.kind === 'finops-digest' && !data.digest) {
        throw new Error('a finops-digest needs its digest data (state counts, changes, escalated cases)');
      }
      if (data.kind === 'run-alert' && !data.runAlert) {
        throw new Error('a run-alert needs its run data (the condition, its first and latest run)');
      }
      const templates = templatesOf(data.kind);
      const context = templateContext(data, headline);
      return {
        subject: headerSafe(templates.subject(context)),
        html: templates.html(context),
        text: `${templates
          .text(context)
          .replace(/\n{3,}/g, '\n\n')
          .trim()}\n`,
      };
    },
  };
}

type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

/** A section with its view; `now` is when the message is written (an estimate's age is told from it). */
const withView = (section: CaseSection, now?: string) => ({
  ...section,
  sources: section.sources ?? null,
  view: sectionView(section, now ?? null),
});

/**
 * What templates see: MessageData with `view` facts on the message and on each section; a digest's
 * changes carry their case's headline (the words of its email's subject).
 */
export function templateContext(data: MessageData, headline: (section: CaseSection) => string) {
  const digest = data.digest;
  return {
    ...data,
    contacts: data.contacts ?? { finops: 'FinOps', escalation: [] },
    pilot: data.pilot ?? null,
    runAlert: data.runAlert ?? null,
    sections: data.sections.map((s) => withView(s, data.generatedAt)),
    digest: digest
      ? {
          ...digest,
          since: digest.since ?? null,
          troubledRuns: digest.troubledRuns ?? [],
          failedRuns: (digest.troubledRuns ?? []).filter((r) => r.outcome === 'failed'),
          staleRuns: (digest.troubledRuns ?? []).filter((r) => r.outcome === 'stale'),
          changes: digest.changes.map((c) => ({
            ...c,
            section: withView(c.section, data.generatedAt),
            headline: headline(c.section),
          })),
          escalated: digest.escalated.map((s) => withView(s, data.generatedAt)),
          killSwitch: digest.killSwitch ?? null,
        }
      : null,
    view: messageView(data),
  };
}

let defaultRenderer: Renderer | undefined;

/** Renders with the package's templates (compiled on the first call). */
export function renderMessage(data: MessageData): RenderedMessage {
  defaultRenderer ??= createRenderer();
  return defaultRenderer.render(data);
}

/** A case's one-line summary with the package's templates: the words of its email's subject. */
export function caseHeadline(section: CaseSection): string {
  defaultRenderer ??= createRenderer();
  return defaultRenderer.headline(section);
}
