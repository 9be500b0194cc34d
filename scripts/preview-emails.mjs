#!/usr/bin/env node
// Renders every message kind from the built-in examples into .preview/ and screenshots each HTML
// email with headless Chromium at 400 px (mobile) and 900 px wide, so a person can look at what
// owners will receive (<kind>-400.png, <kind>-900.png).
// Usage: npm run preview:emails   (CHROMIUM=/path/to/chromium, PREVIEW_HEIGHT=3000 for the whole mail,
// PREVIEW_OUT=DIR instead of .preview/)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { RENDERED_KINDS, renderMessage } = await import(
  pathToFileURL(join(root, 'dist/functions/core/notify/render.js')).href
);
const { exampleMessage, extraExamples } = await import(
  pathToFileURL(join(root, 'dist/functions/cli/render-examples.js')).href
);

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const height = Number(process.env.PREVIEW_HEIGHT ?? 1400);
const outDir = resolve(process.env.PREVIEW_OUT ?? join(root, '.preview'));
mkdirSync(outDir, { recursive: true });

const WIDTHS = [400, 900];

function screenshot(htmlPath, pngPath, width) {
  const profile = mkdtempSync(join(tmpdir(), 'sentinel-chromium-'));
  try {
    const result = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--user-data-dir=${profile}`,
        `--screenshot=${pngPath}`,
        `--window-size=${width},${height}`,
        pathToFileURL(htmlPath).href,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (result.error) throw result.error;
    if (result.status !== 0)
      throw new Error(`chromium exited ${result.status}: ${result.stderr.slice(-2000)}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

let failed = 0;
const examples = [
  ...RENDERED_KINDS.map((kind) => [kind, exampleMessage(kind)]),
  ...Object.entries(extraExamples()),
];
for (const [kind, data] of examples) {
  const rendered = renderMessage(data);
  const htmlPath = join(outDir, `${kind}.html`);
  writeFileSync(join(outDir, `${kind}.subject.txt`), `${rendered.subject}\n`);
  writeFileSync(htmlPath, rendered.html);
  writeFileSync(join(outDir, `${kind}.txt`), rendered.text);
  for (const width of WIDTHS) {
    const pngPath = join(outDir, `${kind}-${width}.png`);
    try {
      screenshot(htmlPath, pngPath, width);
      process.stdout.write(`${kind} at ${width} px: ${pngPath} (${statSync(pngPath).size} bytes)\n`);
    } catch (error) {
      failed++;
      process.stderr.write(`${kind} at ${width} px: screenshot failed: ${error.message}\n`);
    }
  }
}
process.exitCode = failed > 0 ? 1 : 0;
