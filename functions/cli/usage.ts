/**
 * Every command's `--help` text (docs/cli.md), in a module that loads nothing heavy: `sentinel
 * <command> --help` is answered from here without importing the command, the config schema, the
 * templating, an SDK or DuckDB (start-up time is part of every run).
 */
import { BILL_DETECTORS } from '../core/detect/detector-ids.js';
import { ENGINES } from '../core/engines.js';
import { ANSWERS, RENDERED_KINDS } from '../core/notify/message-model.js';

/** Flags every command takes, as `--help` describes them. */
export const COMMON_FLAG_HELP: readonly (readonly [string, string])[] = [
  ['--config FILE', 'configuration file (YAML or JSON); flags override it'],
  ['--now ISO', 'the clock (ISO 8601): the default as-of day and every case time come from it'],
  ['--help, -h', 'this help'],
];

/**
 * A command's `--help`: its usage line, every flag with what it does, and the detector names
 * (docs/cli.md).
 */
export function helpText(
  usage: string,
  flags: readonly (readonly [string, string])[],
  notes: string[] = [],
): string {
  const all = [...flags, ...COMMON_FLAG_HELP];
  const width = Math.max(...all.map(([f]) => f.length)) + 2;
  const lines = all.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`);
  return [
    `usage: ${usage}`,
    '',
    'options:',
    ...lines,
    '',
    `detectors: ${BILL_DETECTORS.join(', ')}`,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export const DETECT_USAGE_LINE = `sentinel detect [--focus PATH] [--as-of D | --from D --to D] [--detector NAME]
                [--config FILE] [--out DIR] [--json] [--engine ${ENGINES.join('|')}] [--now ISO]`;

/** The flags `detect` and `run` share, as `--help` describes them. */
export const DETECT_FLAG_HELP: readonly (readonly [string, string])[] = [
  [
    '--focus PATH',
    'the FOCUS export: its folder, data/ folder, one file, a glob or a CSV (else config `focus`)',
  ],
  ['--as-of D', 'evaluate this as-of day (YYYY-MM-DD)'],
  ['--from D --to D', 'evaluate every as-of day of this range (excludes --as-of)'],
  ['--detector NAME', `run one detector (${BILL_DETECTORS.join(' or ')}); default every one`],
  ['--out DIR', 'where findings, runs and cases are written (default ./sentinel-out, or s3://…)'],
  ['--json', 'print one finding per line on stdout and nothing else there'],
  ['--engine NAME', `query engine: ${ENGINES.join(', ')} (default duckdb)`],
];

export const DETECT_USAGE = helpText(DETECT_USAGE_LINE, DETECT_FLAG_HELP, [
  'Without --as-of/--from, evaluates the default as-of day (today − 1 − export_lag_days, UTC).',
  'Exit: 0 ran, 2 bad usage or input, 3 the export does not reach an as-of day, 1 anything else.',
]);

export const RUN_USAGE = helpText(
  `sentinel run [--focus PATH] [--as-of D | --from D --to D] [--detector NAME] [--owners FILE]
             [--dry-run] [--config FILE] [--out DIR] [--json] [--engine ${ENGINES.join('|')}] [--now ISO]`,
  [
    ...DETECT_FLAG_HELP,
    ['--owners FILE', 'owners mapping (CSV or YAML: account_id, owner_email, account_name, team, cc)'],
    [
      '--dry-run',
      'render and report what would be sent, into <out>/dry-run/<run id>/ (index.html); send nothing, change no case, finding or log',
    ],
  ],
  ['Without --as-of/--from, evaluates every as-of day since the last successful run (catch-up).'],
);

export const ACK_USAGE = helpText(
  `sentinel ack --case KEY --answer ${ANSWERS.join('|')} [--note TEXT] [--epoch N] [--by WHO] [--out DIR]
             [--config FILE] [--now ISO]`,
  [
    ['--case KEY', 'the case key, as the email shows it'],
    [
      '--answer ANSWER',
      `${ANSWERS.join(', ')}: stopped resolves, legitimate suppresses, investigating acknowledges`,
    ],
    ['--note TEXT', 'the root cause or what was done, kept with the answer'],
    [
      '--epoch N',
      'the occurrence of the case the answer is for (the email gives it); default the current one',
    ],
    ['--by WHO', 'who answers (recorded with the answer)'],
    ['--out DIR', 'the case store a run wrote (default ./sentinel-out, or s3://…); it must exist'],
  ],
);

export const CASES_USAGE = helpText(
  'sentinel cases [--state STATE[,STATE…]] [--json] [--out DIR] [--config FILE] [--now ISO]',
  [
    [
      '--state STATE',
      'only these states: live, closed, open, reminded, escalated, acknowledged, resolved, suppressed (repeat or comma-separate)',
    ],
    ['--json', 'one case per line as JSON on stdout, nothing else there'],
    ['--out DIR', 'the case store a run wrote (default ./sentinel-out, or s3://…); it must exist'],
  ],
  ["Live cases first. 'sentinel show CASE' tells one case with its history."],
);

export const DEMO_USAGE = helpText(
  'sentinel demo [--out DIR] [--now ISO] [--config FILE]',
  [['--out DIR', 'where the synthetic export, cases, outbox and events go (default ./sentinel-demo)']],
  ['Generates a synthetic organization, runs every detector over it, opens cases and emails owners locally.'],
);

export const FOLLOW_UP_USAGE = helpText(
  'sentinel follow-up [--out DIR] [--owners FILE] [--config FILE] [--now ISO]',
  [
    ['--out DIR', 'the case store a run wrote (default ./sentinel-out, or s3://…); it must exist'],
    ['--owners FILE', 'owners mapping; without one, each case keeps the owner it was opened with'],
  ],
  ['Moves each case at most one step (reminder, escalation, suppression expiry) and sends what is due.'],
);

export const GENERATE_USAGE = helpText(
  `sentinel generate --out DIR [--accounts N] [--days N] [--end YYYY-MM-DD] [--seed N] [--scale ROWS]
                  [--config FILE] [--now ISO]`,
  [
    [
      '--out DIR',
      'where the export (FOCUS Parquet with manifests), owners.csv and metrics/hourly.jsonl are written',
    ],
    ['--accounts N', 'accounts in the organization (default 40; 500 with --scale)'],
    ['--days N', 'days of history ending on --end (default 120; 13 calendar months with --scale)'],
    ['--end D', 'last day of data (default: today - 2, UTC, from the clock / --now)'],
    ['--seed N', 'seed of the pseudo-random model (default 1); same seed, same export'],
    ['--scale ROWS', 'benchmark mode: about ROWS rows, most of them synthesized in DuckDB'],
  ],
);

export const RENDER_USAGE = helpText('sentinel render --template NAME [--input FILE] [--out DIR]', [
  ['--template NAME', `one of ${RENDERED_KINDS.join(', ')}`],
  ['--input FILE', 'the message data as JSON (see templates/README.md); default: a built-in example'],
  ['--out DIR', 'write NAME.subject.txt, NAME.html and NAME.txt there; default: text part to stdout'],
]);

export const SHOW_USAGE = helpText('sentinel show CASE [--json] [--out DIR] [--config FILE] [--now ISO]', [
  ['CASE', 'the case key as the email shows it, or enough of its first characters to name one case'],
  ['--json', 'the case record and its events as one JSON object on stdout'],
  ['--out DIR', 'the case store a run wrote (default ./sentinel-out, or s3://…); it must exist'],
]);

export const SQL_USAGE = helpText(
  `sentinel sql --detector ${BILL_DETECTORS.join('|')} [--dialect athena|duckdb]
             [--as-of D | --from D --to D] [--focus TABLE|DATABASE.TABLE]
             [--usage-type skumeter|x_usagetype|coalesce] [--inline] [--config FILE] [--now ISO]`,
  [
    ['--detector NAME', `the detector whose statements to print (${BILL_DETECTORS.join(' or ')})`],
    ['--dialect NAME', "athena or duckdb (default: the configured engine's; trino uses athena)"],
    ['--as-of D', 'the as-of day (default: the default as-of day, from --now)'],
    ['--from D --to D', 'a range of as-of days (excludes --as-of)'],
    ['--focus TABLE', 'Athena: the FOCUS table (TABLE in athena.database, or DATABASE.TABLE; default focus)'],
    ['--usage-type COL', 'skumeter (FOCUS 1.2, default), x_usagetype (FOCUS 1.0) or coalesce (both columns)'],
    [
      '--inline',
      'Athena: one self-contained statement per detector (staging as its first CTE), for a console paste',
    ],
  ],
  [
    'Prints every statement a run of the detector sends, in order, parameter values inlined.',
    "Athena and Trino: the staging CTAS into athena.sentinel_database, the run's one read of the",
    'export (the table name a placeholder: a run names its own by time), then coverage, the',
    'detector and context statements that read it, and its DROP. DuckDB: an in-memory table of the rows',
    'the detectors read, and coverage over a few columns of the export itself.',
  ],
);

/** `sentinel <command> --help`, by command: main.ts prints these without loading the command. */
export const WATCH_USAGE = helpText(
  'sentinel watch [--metrics FILE] [--out DIR] [--owners FILE] [--json] [--dry-run] [--config FILE] [--now ISO]',
  [
    [
      '--metrics FILE',
      'hourly Bedrock usage metrics, JSON lines or CSV (default: watch.source and watch.metrics of the configuration)',
    ],
    [
      '--out DIR',
      'the case store (default ./sentinel-out, or s3://…); its prices/latest.json comes from a detection run',
    ],
    ['--owners FILE', 'owners mapping (CSV or YAML: account_id, owner_email, account_name, team, cc)'],
    ['--json', 'one finding per line on stdout, nothing else there'],
    [
      '--dry-run',
      'render and report what would be sent, into <out>/dry-run/<run id>/; send nothing, change no case, finding or stored hour',
    ],
  ],
  [
    'Evaluates every whole hour since the last watch (at most 48) with the detector runaway-watch; every figure is an estimate the bill confirms later.',
  ],
);

export const KILL_SWITCH_USAGE = helpText(
  `sentinel kill-switch status [--json] | release --account ID [--by WHO] | policy --account ID
             [--out DIR] [--config FILE] [--now ISO]`,
  [
    ['status', 'the stopped accounts: since when, for which case (--json: one object per line)'],
    ['release', 'lift the stop on --account now; its case records Kill Switch Released'],
    ['policy', 'print the SCP document the switch attaches to --account (JSON), to review it'],
    ['--account ID', 'the 12-digit account id'],
    ['--json', 'status: {account_id, policy_id, case_key, engaged_at, policy} per line, nothing else'],
    ['--by WHO', 'release: who releases (recorded on the case)'],
    ['--out DIR', 'the case store a run wrote (default ./sentinel-out, or s3://…)'],
  ],
  ['The transport is kill_switch.transport: a local file under --out, or AWS Organizations.'],
);

export const COMMAND_USAGE: Readonly<Record<string, string>> = {
  generate: GENERATE_USAGE,
  demo: DEMO_USAGE,
  detect: DETECT_USAGE,
  run: RUN_USAGE,
  'follow-up': FOLLOW_UP_USAGE,
  ack: ACK_USAGE,
  cases: CASES_USAGE,
  show: SHOW_USAGE,
  watch: WATCH_USAGE,
  'kill-switch': KILL_SWITCH_USAGE,
  render: RENDER_USAGE,
  sql: SQL_USAGE,
};
