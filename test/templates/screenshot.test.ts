import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exampleMessage } from '../../functions/core/notify/examples.js';
import { renderMessage } from '../../functions/core/notify/render.js';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

describe('owner alert in a browser', () => {
  it('renders to a non-trivial 900×1400 PNG in headless Chromium', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-shot-'));
    try {
      const htmlPath = join(dir, 'owner-alert.html');
      const pngPath = join(dir, 'owner-alert.png');
      await writeFile(htmlPath, renderMessage(exampleMessage('owner-alert')).html);
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
          `--user-data-dir=${join(dir, 'profile')}`,
          `--screenshot=${pngPath}`,
          '--window-size=900,1400',
          pathToFileURL(htmlPath).href,
        ],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(result.error, `cannot start ${chromium} (set CHROMIUM to its path)`).toBeUndefined();
      expect(result.status, result.stderr).toBe(0);

      const png = await readFile(pngPath);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.readUInt32BE(16)).toBe(900); // IHDR width
      expect(png.readUInt32BE(20)).toBe(1400); // IHDR height
      // A blank page compresses to a few KB; the email with its chart and text is far larger.
      expect(png.length).toBeGreaterThan(50_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
