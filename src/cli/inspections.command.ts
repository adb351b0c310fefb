import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { InspectionsService } from '../inspections/inspections.service';
import { cliActor, withApp } from './cli-support';

@SubCommand({ name: 'verify', description: 'recompute a published draw from its published data (commitment, seed, snapshots) and compare; exit 1 when it does not match' })
export class DrawVerifyCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { plan?: string; draw?: string }): Promise<void> {
    if (!o.plan) throw new Error('--plan ID is required');
    if (o.draw !== undefined && !/^[1-9]\d{0,5}$/.test(o.draw)) throw new Error('--draw must be a draw number (1, 2, …)');
    await withApp(this.config, 'cli', async (app) => {
      const svc = app.get(InspectionsService);
      const r = await svc.verify(await svc.drawIdOf(o.plan!, o.draw ? Number(o.draw) : undefined));
      if (r.ok) {
        process.stdout.write(`plan ${r.planId}, draw ${r.number} (${r.drawId}): the draw matches its commitment, seed and published inputs\n`);
        return;
      }
      process.stdout.write(`plan ${r.planId}, draw ${r.number} (${r.drawId}): the draw does NOT match:\n${r.problems.map((p) => `  - ${p}\n`).join('')}`);
      process.exitCode = 1;
    });
  }

  @Option({ flags: '-p, --plan <ID>', description: 'the plan (UUID)' })
  parsePlan(v: string) {
    return v;
  }

  @Option({ flags: '-d, --draw <N>', description: 'the draw number (default: the latest)' })
  parseDraw(v: string) {
    return v;
  }
}

@Command({ name: 'draw', description: 'double-random draws (双随机): verify a published draw', subCommands: [DrawVerifyCommand] })
export class DrawCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

@SubCommand({ name: 'link-inspector', description: 'link a login (role inspector) to an inspector code of the imported directory' })
export class LinkInspectorCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { user?: string; inspector?: string }): Promise<void> {
    if (!o.user) throw new Error('--user NAME is required');
    if (!o.inspector) throw new Error('--inspector CODE is required');
    await withApp(this.config, 'cli', async (app) => {
      const r = await app.get(InspectionsService).linkInspector({ user: o.user!, inspectorCode: o.inspector! }, { actor: cliActor() });
      process.stdout.write(`login ${r.userName} is inspector ${r.inspectorCode}\n`);
    });
  }

  @Option({ flags: '-u, --user <NAME>', description: 'login name (or user id)' })
  parseUser(v: string) {
    return v;
  }

  @Option({ flags: '-i, --inspector <CODE>', description: 'inspector code' })
  parseInspector(v: string) {
    return v;
  }
}

@SubCommand({ name: 'late', description: 'inspection results not public 20 working days after they were recorded' })
export class InspectionsLateCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<void> {
    await withApp(this.config, 'cli', async (app) => {
      const late = await app.get(InspectionsService).latePublications();
      if (!late.length) process.stdout.write('no late publication\n');
      for (const l of late) process.stdout.write(`${l.publishDueOn}  ${l.institutionCode}  ${l.outcome}  ${l.planName}  (assignment ${l.assignmentId})\n`);
    });
  }
}

@Command({ name: 'inspections', description: 'double-random inspections: link inspector logins, late publications', subCommands: [LinkInspectorCommand, InspectionsLateCommand] })
export class InspectionsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

export const INSPECTIONS_COMMANDS = [DrawCommand, DrawVerifyCommand, InspectionsCommand, LinkInspectorCommand, InspectionsLateCommand];
