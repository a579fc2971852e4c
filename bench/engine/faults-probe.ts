// Probe: minor page faults and wall time per step of a bench:train recipe case (`train:<name>`) or engine case.
import { caseStep } from './case-step.ts';
const { step, batch } = await caseStep(process.argv[2]);
for (let i = 0; i < Number(process.argv[3] ?? 10); i++) {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  await step.run(batch as never, 1e-4);
  console.log(
    `step ${i}: ${(performance.now() - t0).toFixed(1)} ms, ${process.resourceUsage().minorPageFault - f0} faults`,
  );
}
