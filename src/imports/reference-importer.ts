import { PoolClient } from 'pg';
import { openRejectionSink } from './rejection-sink';
import { Pseudonymizer } from './claim-rows';
import { formatFen, ParsedDecimal } from './fields';
import { ReferenceFileCounts, RejectionReason } from './import-run.entity';
import { FILE_SPECS, ParseOptions, ReferenceFile, validateRow } from './interchange';
import { TabularInput } from './tabular-input';

type Cell = string | number | null;

interface TableSpec {
  table: string;
  key: string[];
  /** Target columns, the SQL type of the unnest array, and the value from a validated row. */
  columns: { name: string; type: string; value: (v: Record<string, unknown>) => Cell; expr?: (param: string) => string }[];
}

const str = (k: string) => (v: Record<string, unknown>) => (v[k] as string | undefined) ?? null;
const num = (k: string) => (v: Record<string, unknown>) => (v[k] as number | undefined) ?? null;
const money = (k: string) => (v: Record<string, unknown>) => (v[k] === undefined ? null : formatFen(v[k] as number));
const list = (k: string) => (v: Record<string, unknown>) => ((v[k] as string[] | undefined) ?? []).join(';');
const toArray = (p: string) => `string_to_array(nullif(${p}, ''), ';')`;

/** How each reference file lands in its table (the knowledge base). */
function tableSpecs(pseudonymizer: Pseudonymizer): Record<ReferenceFile, TableSpec> {
  return {
    institutions: {
      table: 'institution',
      key: ['code'],
      columns: [
        { name: 'code', type: 'text', value: str('code') },
        { name: 'name', type: 'text', value: str('name') },
        { name: 'kind', type: 'text', value: str('kind') },
        { name: 'level', type: 'smallint', value: num('level') },
        { name: 'ownership', type: 'text', value: str('ownership') },
        { name: 'region', type: 'text', value: str('region') },
      ],
    },
    physicians: {
      table: 'physician',
      key: ['code'],
      columns: [
        { name: 'code', type: 'text', value: str('code') },
        { name: 'name', type: 'text', value: str('name') },
        { name: 'institution_code', type: 'text', value: str('institution_code') },
        { name: 'specialty', type: 'text', value: str('specialty') },
      ],
    },
    catalog_items: {
      table: 'catalog_item',
      key: ['code'],
      columns: [
        { name: 'code', type: 'text', value: str('code') },
        { name: 'name', type: 'text', value: str('name') },
        { name: 'kind', type: 'text', value: str('kind') },
        { name: 'price_ceiling', type: 'numeric', value: money('price_ceiling') },
        { name: 'gender_limit', type: 'text', value: str('gender_limit') },
        { name: 'min_age', type: 'smallint', value: num('min_age') },
        { name: 'max_age', type: 'smallint', value: num('max_age') },
        { name: 'max_daily_qty', type: 'numeric', value: (v) => (v.max_daily_qty as ParsedDecimal | undefined)?.text ?? null },
        { name: 'max_days_supply', type: 'integer', value: num('max_days_supply') },
        { name: 'indications', type: 'text', value: list('indications'), expr: toArray },
        { name: 'setting_limit', type: 'text', value: str('setting_limit') },
        { name: 'exclusive_group', type: 'text', value: str('exclusive_group') },
      ],
    },
    persons: {
      table: 'person',
      key: ['patient_key'],
      columns: [
        { name: 'patient_key', type: 'text', value: (v) => pseudonymizer.patientKey(v.patient_id as string) },
        { name: 'death_date', type: 'date', value: str('death_date') },
      ],
    },
    inspectors: {
      table: 'inspector',
      key: ['code'],
      columns: [
        { name: 'code', type: 'text', value: str('code') },
        { name: 'name', type: 'text', value: str('name') },
        { name: 'unit', type: 'text', value: str('unit') },
        { name: 'region', type: 'text', value: str('region') },
        { name: 'conflicts', type: 'text', value: list('conflicts'), expr: (p) => `coalesce(${toArray(p)}, '{}')` },
      ],
    },
    fund_ledger: {
      table: 'fund_ledger',
      key: ['period', 'insurance_type'],
      columns: [
        { name: 'period', type: 'text', value: str('period') },
        { name: 'insurance_type', type: 'text', value: str('insurance_type') },
        { name: 'income', type: 'numeric', value: money('income') },
        { name: 'expenditure', type: 'numeric', value: money('expenditure') },
        { name: 'balance', type: 'numeric', value: money('balance') },
      ],
    },
  };
}

/** Extra checks of a reference row beyond its fields. */
function crossChecks(file: ReferenceFile, v: Record<string, unknown>): { column: string; value: string; reason: string }[] {
  if (file === 'catalog_items' && typeof v.min_age === 'number' && typeof v.max_age === 'number' && v.min_age > v.max_age) {
    return [{ column: 'min_age', value: String(v.min_age), reason: `is above max_age ${v.max_age}` }];
  }
  return [];
}

const BATCH = 2000;

/**
 * Imports one reference file: every row validated; valid rows upserted by key (a row identical to
 * the stored one is left alone, so a re-import changes nothing); bad rows kept with their reasons.
 * Reference files are small next to claims (a national catalog is ~100k rows): rows are held per batch.
 */
export async function importReferenceFile(
  client: PoolClient,
  file: ReferenceFile,
  input: TabularInput,
  opts: { importId: string; parse: ParseOptions; pseudonymizer: Pseudonymizer },
): Promise<ReferenceFileCounts> {
  const spec = tableSpecs(opts.pseudonymizer)[file];
  const counts: ReferenceFileCounts = { received: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
  const seen = new Map<string, number>();
  const rejections = openRejectionSink(client);
  let pendingRows: Cell[][] = [];
  const flush = async () => {
    if (pendingRows.length === 0) return;
    const r = await upsert(client, spec, pendingRows);
    counts.inserted += r.inserted;
    counts.updated += r.updated;
    counts.unchanged += pendingRows.length - r.inserted - r.updated;
    pendingRows = [];
  };
  for await (const batch of input.batches) for (const row of batch) {
    counts.received++;
    const { values, problems } = validateRow(file, row.get, opts.parse);
    problems.push(...crossChecks(file, values));
    if (row.shapeProblem) problems.unshift({ column: '(row)', value: null, reason: row.shapeProblem });
    const cells = problems.length === 0 ? spec.columns.map((c) => c.value(values)) : null;
    if (cells) {
      const key = spec.key.map((k) => String(cells[spec.columns.findIndex((c) => c.name === k)])).join('|');
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ column: spec.key.join('+'), value: key, reason: `repeats the key of line ${first} of ${input.file}; each key may appear once per file` });
      } else {
        seen.set(key, row.line);
      }
    }
    if (problems.length > 0) {
      counts.rejected++;
      const reasons: RejectionReason[] = problems.map((p) => ({ file: input.file, line: row.line, column: p.column, value: p.value, reason: p.reason }));
      const record: Record<string, string> = { line: String(row.line) };
      for (const c of FILE_SPECS[file]) {
        const v = row.get(c.name);
        if (v) record[c.name] = c.name === 'patient_id' ? `pseudonym:${opts.pseudonymizer.patientKey(v)}` : v;
      }
      await rejections.write([opts.importId, 'reference_row', input.file, row.line, null, JSON.stringify(reasons), JSON.stringify(record)]);
      continue;
    }
    pendingRows.push(cells!);
    if (pendingRows.length >= BATCH) await flush();
  }
  await flush();
  await rejections.end();
  return counts;
}

async function upsert(client: PoolClient, spec: TableSpec, rows: Cell[][]): Promise<{ inserted: number; updated: number }> {
  const cols = spec.columns;
  const params = cols.map((_, i) => rows.map((r) => r[i] ?? null));
  const select = cols.map((c, i) => (c.expr ? c.expr(`u.c${i}`) : `u.c${i}`)).join(', ');
  const unnest = cols.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const names = cols.map((c) => `"${c.name}"`);
  const nonKey = cols.filter((c) => !spec.key.includes(c.name)).map((c) => `"${c.name}"`);
  const sql = `
    INSERT INTO ${spec.table} (${names.join(', ')})
    SELECT ${select} FROM unnest(${unnest}) AS u(${cols.map((_, i) => `c${i}`).join(', ')})
    ON CONFLICT (${spec.key.map((k) => `"${k}"`).join(', ')}) DO UPDATE SET
      ${nonKey.map((n) => `${n} = excluded.${n}`).join(', ')}, updated_at = now()
    WHERE (${nonKey.map((n) => `${spec.table}.${n}`).join(', ')}) IS DISTINCT FROM (${nonKey.map((n) => `excluded.${n}`).join(', ')})
    RETURNING (xmax = 0) AS inserted`;
  const res = await client.query<{ inserted: boolean }>(sql, params);
  const inserted = res.rows.filter((r) => r.inserted).length;
  return { inserted, updated: res.rows.length - inserted };
}
