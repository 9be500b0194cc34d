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
import type { SentinelConfig } from '../core/config.js';
import { addDays, dayRange, utcDay } from '../core/dates.js';
import { BILL_DETECTORS, detectorInputs } from '../core/detect/registry.js';
import { BadInputError } from '../core/errors.js';
import { money } from '../core/format.js';
import { newRunId } from '../core/runs.js';
import { killSwitchSaving } from '../synthetic/kill-switch-tally.js';
import type { IncidentLabel } from '../synthetic/organization.js';
import type { Tally } from '../synthetic/tally.js';
import { tallyFindings, tallyLines } from '../synthetic/tally.js';
import { writeSyntheticOrganization } from '../synthetic/write-organization.js';
import { clockFrom, loadConfig, parseFlags, runCommand } from './common.js';
import { demoCases } from './demo-cases.js';
import { watchDemo } from './demo-watch.js';
import { caseLines } from './summary.js';
import { DEMO_USAGE as USAGE } from './usage.js';

const OPTIONS = { out: { type: 'string' } } as const;

export const DEMO_DAYS = 14;

/** What the dry-run kill switch would have saved on the sandbox incident, as the demo says it. */
function sandboxSavingLines(
  sandbox: IncidentLabel,
  tally: Tally,
  watch: { hourlyCost: ((accountId: string, hourMs: number) => number) | null; until: number },
  config: SentinelConfig,
): string[] {
  const firstFiredOn = tally.incidents.find((i) => i.label === sandbox)?.firstFiredOn ?? null;
  const head = `kill switch, dry run on the sandbox ${sandbox.account_id} (kill_switch.accounts): in enforce mode`;
  const saving =
    firstFiredOn && watch.hourlyCost
      ? killSwitchSaving({
          accountId: sandbox.account_id,
          firstFiredOn,
          exportLagDays: config.export_lag_days,
          hourlyCost: watch.hourlyCost,
          until: watch.until,
        })
      : null;
  if (!saving) return [`${head} it would have denied Bedrock inference there until someone answered`];
  const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return [
    `${head} the daily run of ${when(saving.engagedAt)} UTC would have denied Bedrock inference there until`,
    `  someone answered; nobody answers it here, so it would have saved ${money(saving.savedUsd)}, the account's Bedrock spend`,
    `  from then to the end of the data (${when(saving.until)} UTC, ${saving.hours} h; priced by the bill, an estimate)`,
  ];
}

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
    // The kill switch in dry-run on the sandbox incident's account (docs/kill-switch.md), unless the
    // configuration already sets it: the cases below say what enforce mode would have done.
    const sandbox = org.labels.find((l) => l.family === 'sandbox-over-cap');
    const demoConfig =
      sandbox && config.kill_switch.mode === 'off'
        ? {
            ...config,
            kill_switch: {
              ...config.kill_switch,
              mode: 'dry-run' as const,
              accounts: [sandbox.account_id],
              min_severity: 'high' as const,
            },
          }
        : config;
    const killSwitchLines = sandbox ? sandboxSavingLines(sandbox, tally, watch, config) : [];
    await demoCases({
      config: demoConfig,
      out,
      asOfDays,
      findings,
      caseDays,
      clock,
      log,
      say,
      killSwitchLines: demoConfig === config ? [] : killSwitchLines,
    });
    const clean = tally.incidents.every((i) => i.found) && tally.falseFindings.length === 0 && watch.clean;
    return clean ? 0 : 1;
  });
}
