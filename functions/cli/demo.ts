/**
 * `sentinel demo [--out DIR]`: a synthetic organization end to end, locally. Generates the export,
 * runs detection over the last 14 as-of days (so a mid-week spike that already ended is caught),
 * and tallies what was found against the injected incidents; then judges the same days hour by hour
 * with the watch's rule over the generated Bedrock metrics, priced by the bill (docs/watch.md), and
 * says when the watch and when the bill first saw the weekend loop.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDetectPorts } from '../adapters/open-ports.js';
import { addDays, dayRange, utcDay } from '../core/dates.js';
import { BILL_DETECTORS, detectorInputs } from '../core/detect/registry.js';
import { BadInputError } from '../core/errors.js';
import { newRunId } from '../core/runs.js';
import { tallyFindings, tallyLines } from '../synthetic/tally.js';
import { writeSyntheticOrganization } from '../synthetic/write-organization.js';
import { clockFrom, loadConfig, parseFlags, runCommand } from './common.js';
import { demoCases } from './demo-cases.js';
import { watchDemo } from './demo-watch.js';
import { caseLines } from './summary.js';
import { DEMO_USAGE as USAGE } from './usage.js';

const OPTIONS = { out: { type: 'string' } } as const;

export const DEMO_DAYS = 14;

export async function run(argv: string[]): Promise<number> {
  return runCommand(async (log) => {
    const flags = parseFlags('demo', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const out = resolve(typeof flags.out === 'string' ? flags.out : './sentinel-demo');
    if (existsSync(out)) {
      // Only ever wipe a folder an earlier demo made.
      if (!existsSync(join(out, 'labels.json'))) {
        throw new BadInputError(`--out ${out} exists and is not a demo folder`, {
          hint: 'pick a new folder',
        });
      }
      rmSync(out, { recursive: true, force: true });
    }
    const clock = clockFrom(flags);
    const end = addDays(utcDay(clock.now()), -2);
    const say = (line = '') => process.stdout.write(`${line}\n`);

    say(`1. Generating a synthetic organization (40 accounts, 120 days through ${end}) into ${out}`);
    const org = await writeSyntheticOrganization(out, { seed: 1, accounts: 40, days: 120, end });
    say(
      `   ${org.summary.rows.toLocaleString('en-US')} FOCUS rows in ${org.summary.periods.length} billing periods, ${org.labels.length} injected incidents`,
    );

    const config = loadConfig(flags, { focus: org.exportDir, out, owners: org.ownersFile });
    const asOfDays = dayRange(addDays(end, -(DEMO_DAYS - 1)), end);
    say(`2. Detecting over the last ${DEMO_DAYS} as-of days (${asOfDays[0]} … ${end})`);
    const ports = await openDetectPorts(config, { clock, log });
    const { findings, caseDays } = await ports.detect(
      {
        asOfDays,
        detectors: [...BILL_DETECTORS],
        runId: newRunId(clock, 'detect'),
        command: 'detect',
        dryRun: false,
        recurringExemptionOff: [],
        ...detectorInputs(config, ports.owners),
        // The case step below records on the cases these findings open: read their daily figures too.
        episodeCases: [],
      },
      { store: ports.store, log },
    );
    say(`   ${findings.length} findings in ${new Set(findings.map((f) => f.case_key)).size} cases:`);
    for (const line of caseLines(findings)) say(`   ${line}`);
    say();
    const tally = tallyFindings(org.labels, findings, org.accounts);
    for (const line of tallyLines(tally)) say(line);
    say();
    const watch = await watchDemo({ config, out, org, asOfDays, tally, log });
    for (const line of watch.lines) say(line);
    say();
    say(`Findings: ${join(out, 'findings')}   Export: ${org.exportDir}`);
    await demoCases({ config, out, asOfDays, findings, caseDays, clock, log, say });
    const clean = tally.incidents.every((i) => i.found) && tally.falseFindings.length === 0 && watch.clean;
    return clean ? 0 : 1;
  });
}
