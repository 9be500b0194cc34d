/**
 * `sentinel render --template NAME [--input FILE] [--out DIR]`: renders one message from its JSON
 * data (a MessageData), or from the built-in example, to stdout (text part) or to DIR.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.js';
import type { MessageData } from '../core/notify/message-model.js';
import { isMessageKind, RENDERED_KINDS, renderMessage } from '../core/notify/render.js';
import { parseFlags, runCommand } from './common.js';
import { exampleMessage } from './render-examples.js';
import { RENDER_USAGE as USAGE } from './usage.js';

async function readInput(path: string): Promise<MessageData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new BadInputError(`--input ${path}: cannot read the file (${(error as Error).message})`, {
      cause: error,
      hint: 'pass the path of a JSON file holding the message data',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`--input ${path}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (typeof data !== 'object' || data === null || !Array.isArray((data as MessageData).sections)) {
    throw new BadInputError(`--input ${path}: expected an object with a 'sections' list (MessageData)`, {
      hint: "start from 'sentinel render --template owner-alert --out DIR' and templates/README.md",
    });
  }
  return data as MessageData;
}

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags(
      'render',
      argv,
      { template: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' } },
      USAGE,
    );
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const template = flags.template;
    if (typeof template !== 'string') {
      throw new BadInputError('sentinel render: --template is required', { hint: USAGE });
    }
    if (!isMessageKind(template)) {
      throw new BadInputError(`--template '${template}' is not a message template`, {
        hint: `use one of ${RENDERED_KINDS.join(', ')}`,
      });
    }
    const input = typeof flags.input === 'string' ? flags.input : undefined;
    const data = input ? await readInput(input) : exampleMessage(template);
    if (input && data.kind !== undefined && data.kind !== template) {
      log.warn(`--input ${input} says kind '${String(data.kind)}'; rendering it as --template ${template}`);
    }
    let rendered: ReturnType<typeof renderMessage>;
    try {
      rendered = renderMessage({ ...data, kind: template });
    } catch (error) {
      // Strict templates name the first missing field, e.g. `"finding" not defined in [object Object]`.
      throw new BadInputError(
        `${input ? `--input ${input}` : 'built-in example'}: cannot render ${template}: ${(error as Error).message}`,
        { cause: error, hint: 'templates/README.md lists every field a template reads' },
      );
    }
    const out = typeof flags.out === 'string' ? flags.out : undefined;
    if (!out) {
      process.stdout.write(rendered.text);
      return 0;
    }
    await mkdir(out, { recursive: true });
    await writeFile(join(out, `${template}.subject.txt`), `${rendered.subject}\n`, 'utf8');
    await writeFile(join(out, `${template}.html`), rendered.html, 'utf8');
    await writeFile(join(out, `${template}.txt`), rendered.text, 'utf8');
    log.info(`wrote ${template}.subject.txt, ${template}.html and ${template}.txt to ${out}`);
    return 0;
  });
}
