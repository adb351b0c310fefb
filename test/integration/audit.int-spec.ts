import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { systemActor } from '../../src/accounts/roles';
import { AuditService } from '../../src/audit/audit.service';
import { createTestContext } from '../support/app';
import { dropSchema, TEST_DATABASE_URL, testConfig, uniqueName } from '../support/test-env';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js'); // `npm test` builds dist/ first

describe('audit trail (PostgreSQL)', () => {
  const schema = uniqueName('audit');
  const { config, env } = testConfig(schema);
  let app: INestApplicationContext;
  let audit: AuditService;
  let ds: DataSource;
  let admin: Client;

  beforeAll(async () => {
    app = await createTestContext(config);
    audit = app.get(AuditService);
    ds = app.get<DataSource>(getDataSourceToken());
    admin = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await app?.close();
    await dropSchema(schema);
  });

  /** Runs the built CLI against this schema; resolves with its exit code and output. */
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** Changes the table as someone with the database owner's power would: around the append-only trigger. */
  async function tamper(sql: string, params: unknown[] = []) {
    await admin.query('ALTER TABLE audit_entry DISABLE TRIGGER USER');
    try {
      await admin.query(sql, params);
    } finally {
      await admin.query('ALTER TABLE audit_entry ENABLE TRIGGER USER');
    }
  }

  it('records changes in the same transaction as the change: a rollback leaves no entry and no gap', async () => {
    const actor = { userId: null, name: 'wang.supervisor', role: 'supervisor' as const, institutionCode: null };
    await ds.transaction((m) => audit.record(m, { actor, action: 'case.confirm', entityType: 'case', entityId: 'c-1', before: { status: 'in_review' }, after: { status: 'confirmed', at: new Date('2026-11-01T00:00:00Z') }, ip: '10.0.0.9' }));
    await expect(
      ds.transaction(async (m) => {
        await audit.record(m, { actor, action: 'case.dismiss', entityType: 'case', entityId: 'c-2', after: { status: 'dismissed' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    // Outside a transaction a short one is opened.
    await audit.record(ds.manager, { actor: systemActor('cli:root'), action: 'import.claims', entityType: 'import_run', entityId: 'i-1', after: { rows: 3 } });
    const { total, items } = await audit.list({ limit: 10, offset: 0 });
    expect(total).toBe(2);
    expect(items.map((i) => [i.seq, i.action, i.actor.name])).toEqual([
      ['2', 'import.claims', 'cli:root'],
      ['1', 'case.confirm', 'wang.supervisor'],
    ]);
    expect(items[1].after).toEqual({ status: 'confirmed', at: '2026-11-01T00:00:00.000Z' });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2, head: { seq: '2' } });
  });

  it('keeps one unbroken chain under concurrent writers', async () => {
    const actor = { userId: null, name: 'li.supervisor', role: 'supervisor' as const, institutionCode: null };
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => ds.transaction((m) => audit.record(m, { actor, action: 'case.assign', entityType: 'case', entityId: `c-${i}`, before: { assignee: null }, after: { assignee: `u-${i}`, 中文: '稽核' } }))),
    );
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: true, checked: 26, head: { seq: '26' } });
  });

  it('filters the trail by actor, action prefix, subject and time', async () => {
    expect((await audit.list({ actor: 'li.supervisor', limit: 100, offset: 0 })).total).toBe(24);
    expect((await audit.list({ action: 'case.*', limit: 100, offset: 0 })).total).toBe(25);
    expect((await audit.list({ entityType: 'case', entityId: 'c-1', limit: 100, offset: 0 })).items.map((i) => i.action).sort()).toEqual(['case.assign', 'case.confirm']);
    expect((await audit.list({ from: new Date(Date.now() + 60_000), limit: 100, offset: 0 })).total).toBe(0);
  });

  it('the table refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(admin.query(`UPDATE audit_entry SET actor_name = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(admin.query(`DELETE FROM audit_entry WHERE seq = 1`)).rejects.toThrow(/append-only: DELETE/);
    await expect(admin.query(`TRUNCATE audit_entry`)).rejects.toThrow(/append-only: TRUNCATE/);
  });

  it('`audit verify` says the chain holds and prints its head', async () => {
    const r = await cli('audit', 'verify');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/audit chain holds: 26 entries checked/);
    expect(r.stdout).toMatch(/head: 26:[0-9a-f]{64}/);
  });

  it('`audit verify` catches an edit made directly in the database', async () => {
    const [{ after }] = (await admin.query('SELECT after FROM audit_entry WHERE seq = 7')).rows;
    await tamper(`UPDATE audit_entry SET after = jsonb_set(after, '{assignee}', '"someone-else"') WHERE seq = 7`);
    const r = await cli('audit', 'verify');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('audit chain BROKEN at entry 7 (altered)');
    expect(r.stdout).toMatch(/6 entries before it hold; last good entry 6:/);
    await tamper('UPDATE audit_entry SET after = $1 WHERE seq = 7', [JSON.stringify(after)]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('catches a deleted entry and an inserted one', async () => {
    const [row] = (await admin.query('SELECT * FROM audit_entry WHERE seq = 12')).rows;
    await tamper('DELETE FROM audit_entry WHERE seq = 12');
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: '12', problem: 'missing' } });
    // Put a forged entry in its place: same number, different content, the old prev_hash.
    await tamper(
      `INSERT INTO audit_entry (seq, at, actor_name, actor_role, action, entity_type, entity_id, after, prev_hash, hash)
       VALUES (12, now(), 'intruder', 'admin', 'case.close', 'case', 'c-99', '{}'::jsonb, $1, $2)`,
      [row.prev_hash, row.hash],
    );
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: '12', problem: 'altered' } });
    await tamper('DELETE FROM audit_entry WHERE seq = 12');
    await tamper(
      `INSERT INTO audit_entry (seq, at, actor_user_id, actor_name, actor_role, action, entity_type, entity_id, before, after, ip, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [row.seq, row.at, row.actor_user_id, row.actor_name, row.actor_role, row.action, row.entity_type, row.entity_id, row.before, row.after, row.ip, row.prev_hash, row.hash],
    );
    expect((await audit.verify()).ok).toBe(true);
  });

  it('an anchor noted earlier proves a cut-off tail', async () => {
    const before = await audit.verify();
    const anchor = `${before.head!.seq}:${before.head!.hash}`;
    expect((await cli('audit', 'verify', '--anchor', anchor)).code).toBe(0);
    await tamper(`DELETE FROM audit_entry WHERE seq >= 25`);
    // Without the anchor the shortened chain still looks whole; with it, the cut shows.
    expect((await audit.verify()).ok).toBe(true);
    const r = await cli('audit', 'verify', '--anchor', anchor);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the chain was truncated at 24');
    const bad = await cli('audit', 'verify', '--anchor', 'nonsense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--anchor: must be SEQ:HASH');
  });
});
