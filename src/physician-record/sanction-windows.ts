import { PoolClient } from 'pg';
import { PhysicianSanctionWindow } from '../rules-engine/model';

/**
 * Every sanction window of the physicians' record by physician code, for the screening engine's
 * knowledge base (one query per load; superseded sanctions included, since each keeps the window
 * that was in force). Owned here, read by screening.
 */
export async function loadSanctionWindows(client: PoolClient): Promise<Map<string, PhysicianSanctionWindow[]>> {
  const res = await client.query({
    text: `SELECT physician_code, kind, starts_on - DATE '1970-01-01', ends_on - DATE '1970-01-01' FROM physician_sanction ORDER BY physician_code, starts_on`,
    rowMode: 'array',
  });
  const out = new Map<string, PhysicianSanctionWindow[]>();
  for (const r of res.rows as unknown[][]) {
    const code = r[0] as string;
    let a = out.get(code);
    if (!a) out.set(code, (a = []));
    a.push({ kind: r[1] as PhysicianSanctionWindow['kind'], fromDay: r[2] as number, toDay: r[3] as number });
  }
  return out;
}
