/**
 * `sentinel sql`: print every statement a run of one detector sends, in order, with parameter
 * values inlined, ready to paste into the Athena console (docs/cli.md). The list comes from
 * core/detect/statement-plan.ts, the same code the run uses.
 */
import type { SentinelConfig } from '../core/config.js';
import { BILL_DETECTORS, detectorOf, isDetectorId } from '../core/detect/registry.js';
import { printedPlan } from '../core/detect/run-plan.js';
import {
  athenaFocusTable,
  EXAMPLE_FINDING,
  type PlannedStatement,
  USAGE_TYPE_SOURCES,
  type UsageTypeSource,
  usageTypeExpression,
} from '../core/detect/statement-plan.js';
import type { FocusTable, StagingTables } from '../core/detect/statement-sql.js';
import { BadInputError } from '../core/errors.js';
import type { Dialect } from '../core/sql/dialect.js';
import type { DetectorId, IsoDate } from '../core/types.js';
import { clockFrom, type FlagValues, loadConfig, parseFlags, runCommand } from './common.js';
import { defaultDays, explicitAsOfDays } from './detect-options.js';
import { SQL_USAGE as USAGE } from './usage.js';

const OPTIONS = {
  detector: { type: 'string' },
  dialect: { type: 'string' },
  'as-of': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  focus: { type: 'string' },
  'usage-type': { type: 'string' },
  inline: { type: 'boolean' },
} as const;

const DIALECTS: Dialect[] = ['athena', 'duckdb'];

export async function run(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const flags = parseFlags('sql', argv, OPTIONS, USAGE);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const detector = requiredDetector(flags);
    const config = loadConfig(flags, { focus: flags.focus });
    const dialect = dialectOf(flags, config);
    const usageType = usageTypeOf(flags);
    const asOfDays = explicitAsOfDays(flags) ?? defaultDays(config, clockFrom(flags));
    const focus: FocusTable =
      dialect === 'athena'
        ? flags.inline === true
          ? { ...athenaFocusTable(config, usageType), staging: 'ctes' }
          : {
              ...athenaFocusTable(config, usageType),
              staging: 'tables',
              stagingTables: placeholderStagingTables(config.athena.sentinel_database),
              // The DROP as the engine takes it: Athena's DDL goes through Hive's grammar.
              ddl: config.engine === 'trino' ? 'trino' : 'hive',
            }
        : // The DuckDB run reads a view `focus` over the export files with both usage-type columns.
          { dialect: 'duckdb', name: 'focus', usageType: usageTypeExpression('coalesce') };
    const statements = printedPlan(focus, config, { detector, asOfDays });
    process.stdout.write(formatPlan(statements, { detector, dialect, focus, asOfDays, config, usageType }));
    return 0;
  });
}

/** The run's table name as a placeholder (a run names it by its start time and 8 random hex). */
function placeholderStagingTables(schema: string): StagingTables {
  const table = 'sentinel_staging_YYYYMMDDHHMMSS_XXXXXXXX';
  return { schema, table, staging: `"${schema}"."${table}"` };
}

function requiredDetector(flags: FlagValues): DetectorId {
  const name = flags.detector;
  if (name === undefined) {
    throw new BadInputError('sentinel sql: --detector is required', {
      hint: `pass --detector ${BILL_DETECTORS.join(' or --detector ')}`,
    });
  }
  if (typeof name !== 'string' || !isDetectorId(name) || !BILL_DETECTORS.includes(name)) {
    throw new BadInputError(`--detector '${String(name)}' is not a detector`, {
      hint: `use one of: ${BILL_DETECTORS.join(', ')}`,
    });
  }
  return name;
}

function dialectOf(flags: FlagValues, config: SentinelConfig): Dialect {
  const name = flags.dialect;
  // Trino speaks the Athena dialect (docs/cli.md).
  if (name === undefined) return config.engine === 'duckdb' ? 'duckdb' : 'athena';
  if (!DIALECTS.includes(name as Dialect)) {
    throw new BadInputError(`--dialect '${String(name)}' is not a dialect`, {
      hint: `use one of: ${DIALECTS.join(', ')}`,
    });
  }
  return name as Dialect;
}

function usageTypeOf(flags: FlagValues): UsageTypeSource {
  const name = flags['usage-type'];
  if (name === undefined) return 'skumeter';
  if (!USAGE_TYPE_SOURCES.includes(name as UsageTypeSource)) {
    throw new BadInputError(`--usage-type '${String(name)}' is not a usage-type source`, {
      hint: `use one of: ${USAGE_TYPE_SOURCES.join(', ')}`,
    });
  }
  return name as UsageTypeSource;
}

interface PlanHeader {
  detector: DetectorId;
  dialect: Dialect;
  focus: FocusTable;
  asOfDays: IsoDate[];
  config: SentinelConfig;
  usageType: UsageTypeSource;
}

const comment = (text: string): string =>
  text
    .split('\n')
    .map((line) => `-- ${line}`.trimEnd())
    .join('\n');

/** The printed script: a header, then each statement under `-- n. what it is` and ended by `;`. */
export function formatPlan(
  statements: (PlannedStatement & { condition?: string })[],
  header: PlanHeader,
): string {
  const { detector, dialect, focus, asOfDays, config } = header;
  const first = asOfDays[0]!;
  const last = asOfDays[asOfDays.length - 1]!;
  const days = first === last ? `as-of ${first}` : `as-of ${first} … ${last} (${asOfDays.length} days)`;
  const lines = [
    `sentinel sql: ${detector}, ${dialect === 'athena' ? 'Athena (Trino)' : 'DuckDB'}, ${days}.`,
    `Every statement a run of this detector sends, in order, with parameter values inlined (cost column ${config.cost_column}).`,
  ];
  if (dialect === 'athena') {
    lines.push(
      `FOCUS table ${focus.name}; usage type ${focus.usageType}${header.usageType === 'skumeter' ? ' (FOCUS 1.2; --usage-type x_usagetype for a FOCUS 1.0 table)' : ''}.`,
      'Run one statement at a time in the Athena console (select it, then Run).',
    );
  } else {
    lines.push(
      `DuckDB: \`sentinel detect\` first creates the view focus over the files of --focus (${config.focus}),`,
      'with the Glue column names and types; these statements run over that view in one session.',
    );
  }
  const out = [comment(lines.join('\n')), ''];
  statements.forEach((statement, i) => {
    const notes = [`${i + 1}. ${statement.description}`];
    if (statement.condition) notes.push(`Sent only ${statement.condition}.`);
    if (statement.step === 'detector') {
      notes.push(
        'Printed as if the export covers the whole data window: a run starts the day spine at the export',
        "first covered day (statement 1's first_charge_day) when that falls inside the window, and lists",
        'accounts whose runaway case was answered `stopped` in the last 45 days (none here).',
      );
    }
    if (statement.step === 'context') {
      notes.push(
        `EXAMPLE: the flagged VALUES row is one example finding (ref '${EXAMPLE_FINDING.ref}', account ${EXAMPLE_FINDING.account_id}${detectorOf(detector).subject === 'account-model' ? `, model ${EXAMPLE_FINDING.model}` : ''}, as-of ${last}).`,
        'A run lists there one row per finding the detector statement returned: replace it to try it.',
      );
    }
    out.push(comment(notes.join('\n')), terminated(statement.sql), '');
  });
  return out.join('\n');
}

function terminated(sql: string): string {
  const body = sql.trimEnd();
  const lastLine = body.slice(body.lastIndexOf('\n') + 1);
  return lastLine.includes('--') ? `${body}\n;` : `${body};`;
}
