/**
 * `npm run preview:emails` end to end: every message kind rendered from the built-in examples and
 * screenshotted in headless Chromium (Debian's `chromium`; CHROMIUM overrides the path).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS } from '../../functions/core/notify/render.js';

/** The kill switch's words (docs/kill-switch.md): engaged, dry-run, escalated instead, the digest's part. */
const KILL_SWITCH_EXAMPLES = [
  'owner-alert-kill-switch',
  'owner-alert-kill-switch-dry-run',
  'escalation-kill-switch',
  'finops-digest-kill-switch',
  'finops-digest-kill-switch-dry-run',
];

const script = join(import.meta.dirname, '..', '..', 'scripts', 'preview-emails.mjs');

describe('email preview in a browser', () => {
  it('renders every message kind, and the kill switch examples, to non-trivial 400×1400 and 900×1400 PNGs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-shot-'));
    try {
      const result = spawnSync(process.execPath, [script], {
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, PREVIEW_OUT: dir },
      });
      expect(result.status, result.stderr).toBe(0);
      const shown = [...MESSAGE_KINDS, ...KILL_SWITCH_EXAMPLES];
      for (const [kind, width] of shown.flatMap((k) => [400, 900].map((w) => [k, w] as const))) {
        const png = await readFile(join(dir, `${kind}-${width}.png`));
        expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        expect(png.readUInt32BE(16)).toBe(width); // IHDR width
        expect(png.readUInt32BE(20)).toBe(1400); // IHDR height
        // A blank page compresses to a few KB; an email with its chart and text is far larger.
        expect(png.length, kind).toBeGreaterThan(50_000);
        expect(await readFile(join(dir, `${kind}.html`), 'utf8')).toContain('ai-spend-sentinel');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // One Chromium per shot, two shots per example: the preview script's own limit, not the suite's 60 s.
  }, 240_000);
});
