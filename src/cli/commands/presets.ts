import { listPresets } from '../../config/preset.ts';
import { RECIPES } from '../../train/recipes/index.ts';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';

const HELP = `clade presets [--json]

Lists the presets 'clade train <preset>' accepts (src/config/presets/*.json): name, recipe, steps and a
one-line description; then the recipes a config file can name.`;

/**
 * `clade presets`: print the presets (name, recipe, steps, description) and the recipes. Returns the exit code.
 *
 * @example
 * await run(['--json']);
 */
export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, { json: 'boolean', help: 'boolean' });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade presets: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const presets = listPresets();
  if (a.json) {
    console.log(JSON.stringify(presets, null, 2));
    return 0;
  }
  const wName = Math.max(6, ...presets.map((p) => p.name.length));
  const wRecipe = Math.max(6, ...presets.map((p) => p.recipe.length));
  const lines = [
    `${'preset'.padEnd(wName)}  ${'recipe'.padEnd(wRecipe)}  ${'steps'.padStart(6)}  description`,
  ];
  for (const p of presets)
    lines.push(
      `${p.name.padEnd(wName)}  ${p.recipe.padEnd(wRecipe)}  ${String(p.steps).padStart(6)}  ${p.description}`,
    );
  const recipes = Object.entries(RECIPES).map(([k, v]) => `  ${k}: ${v.about}`);
  console.log(`${lines.join('\n')}\n\nrecipes:\n${recipes.join('\n')}`);
  return 0;
}
