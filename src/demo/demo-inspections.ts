import { INestApplicationContext } from '@nestjs/common';
import { Actor } from '../accounts/roles';
import { InspectionsService } from '../inspections/inspections.service';

export interface DemoDraw {
  planId: string;
  drawId: string;
  assignments: number;
  inspectorCode: string | null;
}

/**
 * A quarter's double-random plan over every institution, committed and drawn, so the demo shows
 * the whole loop: the public verification page, and the demo inspector's assignments (the login is
 * linked to the leader of the first team drawn).
 */
export async function demoInspectionDraw(app: INestApplicationContext, actor: Actor, period: string, inspectorLogin: string): Promise<DemoDraw> {
  const inspections = app.get(InspectionsService);
  const by = { actor, ip: null };
  const plan = await inspections.createPlan(
    inspections.parsePlan({ name: `${period} 医保基金使用双随机抽查（演示）`, period, matters: inspections.matters.slice(0, 3).map((m) => m.code), minPerStratum: 1, teamSize: 2, loadCap: 6, avoidSameRegion: false, avoidPrevious: true }),
    by,
  );
  await inspections.commit(plan.id, by);
  const draw = await inspections.draw(plan.id, by);
  const leader = draw.assignments[0]?.team[0]?.code ?? null;
  if (leader) await inspections.linkInspector({ user: inspectorLogin, inspectorCode: leader }, by);
  return { planId: plan.id, drawId: draw.draw.id, assignments: draw.assignments.length, inspectorCode: leader };
}
