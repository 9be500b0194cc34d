/**
 * Writes a whole synthetic organization to a directory, as `sentinel generate` and the demo need it:
 *   <out>/export/…        the FOCUS export (AWS layout, manifests)
 *   <out>/labels.json     the injected incidents (what a detector should report)
 *   <out>/owners.csv      the owners mapping (docs/emails.md), a few accounts left out on purpose
 *   <out>/accounts.json   every account's pattern, for reading benchmark results
 *   <out>/metrics/hourly.jsonl  Bedrock's hourly usage metrics, the same tokens as the export's rows
 *                         (docs/watch.md "Input"); not in scale mode, whose filler accounts exist in the export only
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hourlyJsonLines, hourlyMetrics } from './hourly.js';
import {
  type AccountProfile,
  generateOrganization,
  type IncidentLabel,
  type OwnerRecord,
  ownersCsv,
} from './organization.js';
import { writeScaleExport } from './scale-export.js';
import {
  type FocusExportOptions,
  type FocusExportSummary,
  type WrittenPeriod,
  writeFocusExport,
} from './write-export.js';

export interface SyntheticOutputOptions {
  seed: number;
  accounts: number;
  days: number;
  end: string;
  /** Benchmark mode: about this many rows, most synthesized in DuckDB (see scale-export.ts). */
  scaleRows?: number;
  export?: FocusExportOptions;
  onPeriod?: (period: WrittenPeriod) => void;
}

export interface SyntheticOutput {
  exportDir: string;
  labelsFile: string;
  ownersFile: string;
  accountsFile: string;
  /** null in scale mode. */
  metricsFile: string | null;
  metricsRows: number;
  start: string;
  end: string;
  summary: FocusExportSummary;
  labels: IncidentLabel[];
  owners: OwnerRecord[];
  accounts: AccountProfile[];
}

export const EXPORT_FOLDER = 'export';
export const METRICS_FILE = join('metrics', 'hourly.jsonl');

export async function writeSyntheticOrganization(
  out: string,
  options: SyntheticOutputOptions,
): Promise<SyntheticOutput> {
  const exportDir = join(out, EXPORT_FOLDER);
  mkdirSync(exportDir, { recursive: true });
  let organization: {
    start: string;
    end: string;
    labels: IncidentLabel[];
    owners: OwnerRecord[];
    accounts: AccountProfile[];
  };
  let summary: FocusExportSummary;
  let metricsFile: string | null = null;
  let metricsRows = 0;
  if (options.scaleRows !== undefined) {
    const result = await writeScaleExport(exportDir, {
      ...options.export,
      seed: options.seed,
      rows: options.scaleRows,
      accounts: options.accounts,
      days: options.days,
      end: options.end,
      ...(options.onPeriod ? { onPeriod: options.onPeriod } : {}),
    });
    organization = result.organization;
    summary = result.summary;
  } else {
    const generated = generateOrganization(options);
    organization = generated;
    summary = await writeFocusExport(exportDir, generated.rows, {
      payerAccountId: generated.payerAccountId,
      ...options.export,
    });
    for (const period of summary.periods) options.onPeriod?.(period);
    const hourly = hourlyMetrics(generated);
    metricsFile = join(out, METRICS_FILE);
    mkdirSync(join(out, 'metrics'), { recursive: true });
    writeFileSync(metricsFile, hourlyJsonLines(hourly));
    metricsRows = hourly.length;
  }
  const labelsFile = join(out, 'labels.json');
  const ownersFile = join(out, 'owners.csv');
  const accountsFile = join(out, 'accounts.json');
  writeFileSync(labelsFile, `${JSON.stringify(organization.labels, null, 2)}\n`);
  writeFileSync(ownersFile, ownersCsv(organization.owners));
  writeFileSync(accountsFile, `${JSON.stringify(organization.accounts, null, 2)}\n`);
  return {
    exportDir,
    labelsFile,
    ownersFile,
    accountsFile,
    metricsFile,
    metricsRows,
    start: organization.start,
    end: organization.end,
    summary,
    labels: organization.labels,
    owners: organization.owners,
    accounts: organization.accounts,
  };
}
