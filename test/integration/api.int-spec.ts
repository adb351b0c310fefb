import 'reflect-metadata';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestHttp } from '../support/app';
import { AuditService } from '../../src/audit/audit.service';
import { bearer, createUserWithToken, TestUser } from '../support/auth';
import { dropSchema, testConfig, uniqueName, waitFor } from '../support/test-env';

const SMALL = join(__dirname, '..', 'fixtures', 'small');

const claim = (over: Record<string, unknown> = {}) => ({
  claim_id: 'API-1',
  institution_code: 'h64010500001',
  patient_id: '640105198001010011',
  patient_gender: 'M',
  patient_birth_date: '1980-01-01',
  insurance_type: 'employee',
  visit_type: 'outpatient',
  admission_date: '2025-01-03',
  discharge_date: '2025-01-03',
  primary_diagnosis: 'I10',
  total_amount: '45.00',
  fund_paid: '30.00',
  self_paid: 15,
  settled_at: '2025-01-03T10:15:00+08:00',
  items: [
    { item_seq: 1, item_code: 'XC08CAA001A001010100001', service_date: '2025-01-03', unit_price: '3.50', quantity: 10, amount: '35.00', days_supply: 10 },
    { item_seq: 2, item_code: '001103000010000', service_date: '2025-01-03', unit_price: '10.00', quantity: 1, amount: '10.00' },
  ],
  ...over,
});

describe('HTTP API', () => {
  const schema = uniqueName('t_api');
  const { config } = testConfig(schema);
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let supervisor: TestUser;

  beforeAll(async () => {
    app = (await createTestHttp(config)).app;
    // Every call below is a supervisor's (imports and claims are theirs to submit).
    supervisor = await createUserWithToken(app, { role: 'supervisor' });
    http = request.agent(app.getHttpServer()).set(bearer(supervisor.token));
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(schema);
  });

  it('GET /health reports the database and the queue', async () => {
    const res = await http.get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: { ok: true, mode: 'server' }, queue: { ok: true, mode: 'redis' } });
  });

  it('serves the OpenAPI document at /api/docs', async () => {
    const res = await http.get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/claims', '/api/imports', '/api/imports/{id}', '/api/rejections', '/health', '/api/auth/login']));
    expect(Object.keys(res.body.components.securitySchemes).sort()).toEqual(['bearer', 'cookie']);
    await http.get('/api/docs').expect(200);
  });

  it('POST /api/claims answers claim by claim: accepted, unchanged, corrected, rejected with field paths', async () => {
    const first = await http.post('/api/claims').send({ claims: [claim()] }).expect(200);
    expect(first.body.results).toEqual([{ index: 0, claim_id: 'API-1', status: 'accepted', version: 1 }]);

    const again = await http.post('/api/claims').send({ claims: [claim()] }).expect(200);
    expect(again.body.results[0]).toMatchObject({ status: 'unchanged', version: 1 });

    const corrected = claim({ total_amount: '42.00', self_paid: '12.00' });
    (corrected.items as Record<string, unknown>[])[1] = { item_seq: 2, item_code: '001103000010000', service_date: '2025-01-03', unit_price: '7.00', quantity: 1, amount: '7.00' };
    const corr = await http.post('/api/claims').send({ claims: [corrected] }).expect(200);
    expect(corr.body.results[0]).toMatchObject({ status: 'corrected', version: 2 });
    // Each batch is in the audit trail under the supervisor who sent it.
    const trail = await app.get(AuditService).list({ action: 'import.claims.json', limit: 10, offset: 0 });
    expect(trail.items.map((e) => [e.actor.name, e.entityId, (e.after as { counts: { corrected: number } }).counts.corrected])).toEqual([
      [supervisor.name, corr.body.importId, 1],
      [supervisor.name, again.body.importId, 0],
      [supervisor.name, first.body.importId, 0],
    ]);

    const bad = claim({ claim_id: 'API-2', patient_gender: 'X', discharge_date: '2025-01-01' });
    (bad.items as Record<string, unknown>[])[0]!.quantity = 0;
    const res = await http.post('/api/claims').send({ claims: [claim({ claim_id: 'API-3' }), bad] }).expect(200);
    expect(res.body.results[0]).toMatchObject({ index: 0, claim_id: 'API-3', status: 'accepted' });
    expect(res.body.results[1]).toMatchObject({ index: 1, claim_id: 'API-2', status: 'rejected' });
    const paths = res.body.results[1].errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['claims[1].patient_gender', 'claims[1].discharge_date', 'claims[1].items[0].quantity']));
    expect(res.body.results[1].errors.find((e: { path: string }) => e.path === 'claims[1].patient_gender').reason).toMatch(/must be one of M, F/);

    // The rejected claim is kept and listed.
    const rej = await http.get('/api/rejections').query({ import: res.body.importId }).expect(200);
    expect(rej.body.total).toBe(1);
    expect(rej.body.items[0]).toMatchObject({ kind: 'claim', claimId: 'API-2' });
  });

  it.each([
    [{}, 'claims'],
    [{ claims: 'x' }, 'claims'],
    [{ claims: [] }, 'claims'],
    [{ claims: [5] }, 'claims[0]'],
    [{ claims: [{ claim_id: 'A', items: {} }] }, 'claims[0].items'],
    [[1, 2], 'body'],
  ])('POST /api/claims with a malformed body %j is a 400 naming %s', async (body, path) => {
    const res = await http.post('/api/claims').send(body as object).expect(400);
    expect(res.body.error).toBe('INVALID_INPUT');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers unparseable JSON with a 400, not a 500', async () => {
    const res = await http.post('/api/claims').set('content-type', 'application/json').send('{"claims": [').expect(400);
    expect(res.body.errors[0].path).toBe('body');
  });

  it('POST /api/imports takes uploaded CSV files and runs the import as a job', async () => {
    const ref = await http
      .post('/api/imports')
      .attach('files', join(SMALL, 'reference', 'institutions.csv'))
      .attach('files', join(SMALL, 'reference', 'catalog_items.csv'))
      .expect(202);
    expect(ref.body.imports).toEqual([expect.objectContaining({ kind: 'reference', status: 'queued' })]);
    const res = await http
      .post('/api/imports')
      .attach('files', join(SMALL, 'claims', 'claims.csv'))
      .attach('files', join(SMALL, 'claims', 'claim_items.csv'))
      .expect(202);
    const id = res.body.imports[0].id;
    const done = await waitFor(async () => {
      const r = await http.get(`/api/imports/${id}`).expect(200);
      return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : null;
    }, 'the import job');
    expect(done).toMatchObject({ status: 'completed', counts: { claimsReceived: 4, accepted: 1, rejected: 3, orphanLines: 1, linesStored: 2 } });
    const rej = await http.get('/api/rejections').query({ import: id, pageSize: 2 }).expect(200);
    expect(rej.body).toMatchObject({ total: 4, page: 1, pageSize: 2 });
    expect(rej.body.items).toHaveLength(2);
  });

  it('rejects bad requests to the import endpoints with 400s that name the parameter', async () => {
    expect((await http.post('/api/imports').expect(400)).body.errors[0].path).toBe('files');
    expect((await http.get('/api/imports/not-a-uuid').expect(400)).body.errors[0].path).toBe('id');
    await http.get('/api/imports/00000000-0000-4000-8000-000000000000').expect(404);
    expect((await http.get('/api/rejections').query({ page: 0 }).expect(400)).body.errors[0].path).toBe('page');
    expect((await http.get('/api/rejections').query({ kind: 'x' }).expect(400)).body.errors[0].path).toBe('kind');
    const wrong = await http.post('/api/imports').attach('files', Buffer.from('a,b\n1,2\n'), 'notes.csv').expect(400);
    expect(wrong.body.errors[0].path).toBe('files');
  });
});
