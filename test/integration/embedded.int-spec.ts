import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

/** Embedded mode: no DATABASE_URL, no REDIS_URL — PGlite over the wire protocol, jobs in-process. */
describe('embedded mode (smoke)', () => {
  it('runs the demo end to end: generate, import, serve', async () => {
    expect(existsSync(CLI)).toBe(true); // `npm test` builds dist/ first
    const dataDir = mkdtempSync(join(tmpdir(), 'fg-embedded-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'development' };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'demo', 'run', '--claims', '400', '--exit'], { env, timeout: 170_000 });
    const log = stdout + stderr;
    expect(log).toMatch(/mode: embedded PostgreSQL/);
    expect(log).toMatch(/queue mode: in-process|jobs in-process/);
    expect(stdout).toMatch(/reference data:\n\s*import \S+ \(reference\): completed/);
    expect(stdout).toMatch(/claims, batch 1:\n\s*import \S+ \(claims\): completed\n\s*claims received 400: accepted \d+, corrected 0, unchanged 0, rejected [1-9]\d*/);
    expect(stdout).toMatch(/claims, batch 2 \(re-sends and corrections\):\n\s*import \S+ \(claims\): completed\n\s*claims received \d+: accepted \d+, corrected [1-9]\d*, unchanged [1-9]\d*/);
    expect(stdout).toMatch(/API docs \(OpenAPI\)\s+http:\/\/127\.0\.0\.1:\d+\/api\/docs/);
    expect(existsSync(join(dataDir, 'pglite'))).toBe(true);

    // The data stays in the embedded database: a later command sees the three imports.
    const status = await promisify(execFile)(process.execPath, [CLI, 'import', 'status'], { env, timeout: 60_000 });
    expect(status.stdout.trim().split('\n')).toHaveLength(3);
    expect(status.stdout).toMatch(/reference\s+completed/);

    // The demo opened cases and made one login per role, each with its own random password.
    expect(stdout).toMatch(/cases: \d+ opened from findings/);
    const logins = [...stdout.matchAll(/^\s+(admin|supervisor|auditor|inspector|institution)\s+(demo-\S+)\s+(\S{16})/gm)];
    expect(logins.map((m) => m[1]).sort()).toEqual(['admin', 'auditor', 'inspector', 'institution', 'supervisor']);
    expect(new Set(logins.map((m) => m[3])).size).toBe(5);
    const cases = await promisify(execFile)(process.execPath, [CLI, 'cases', 'list'], { env, timeout: 60_000 });
    expect(cases.stdout).toMatch(/AJ-\d{4}-\d{6}/);
    // Every step so far is in the audit trail, and its chain holds (the trigger and the chain work on PGlite too).
    const audit = await promisify(execFile)(process.execPath, [CLI, 'audit', 'verify'], { env, timeout: 60_000 });
    expect(audit.stdout).toMatch(/audit chain holds: \d+ entries checked/);
    // The demo drew a quarter's inspections; anyone can recompute the draw from what was published.
    const planId = /fundguard draw verify --plan ([0-9a-f-]{36})/.exec(stdout)?.[1];
    expect(planId).toBeDefined();
    const verified = await promisify(execFile)(process.execPath, [CLI, 'draw', 'verify', '--plan', planId!], { env, timeout: 60_000 });
    expect(verified.stdout).toMatch(/the draw matches/);

    // The demo gave the public site content (two exposed cases, a published result, a tip), and the
    // static copy of it is written from the embedded database too.
    const exposed = /曝光台 exposure\s+\S+\s+\(([^)]+)\)/.exec(stdout)?.[1]?.split(', ') ?? [];
    expect(exposed).toHaveLength(2);
    expect(stdout).toMatch(/inspections\s+\S+\/public\/inspections\s+\(1 result published\)/);
    expect(stdout).toMatch(/tip JB-\d{4}-\d{6}: track it at \S+ with [A-Z0-9-]{10,}/);
    const site = join(dataDir, 'public-site');
    const published = await promisify(execFile)(process.execPath, [CLI, 'publish', '--out', site], { env, timeout: 120_000 });
    expect(published.stdout).toMatch(/published \d{4}-\d{2}: \d+ pages/);
    const exposure = readFileSync(join(site, 'exposure.html'), 'utf8');
    for (const n of exposed) expect(exposure).toContain(n);
    expect(readFileSync(join(site, 'inspections.html'), 'utf8')).toContain('发现违规');
    expect(readFileSync(join(site, 'index.html'), 'utf8')).toContain('累计结存可支付月数');
  });
});
