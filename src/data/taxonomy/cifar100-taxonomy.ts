import { Taxonomy } from './taxonomy.ts';

/**
 * CIFAR-100's official superclass → class grouping (20 superclasses of 5 classes; names as in the
 * label-name files, `maple_tree` etc.). Superclass order = coarse label order; class order inside = alphabetical.
 */
export const CIFAR100_SUPERCLASSES: Readonly<Record<string, readonly string[]>> = {
  aquatic_mammals: ['beaver', 'dolphin', 'otter', 'seal', 'whale'],
  fish: ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout'],
  flowers: ['orchid', 'poppy', 'rose', 'sunflower', 'tulip'],
  food_containers: ['bottle', 'bowl', 'can', 'cup', 'plate'],
  fruit_and_vegetables: ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper'],
  household_electrical_devices: ['clock', 'keyboard', 'lamp', 'telephone', 'television'],
  household_furniture: ['bed', 'chair', 'couch', 'table', 'wardrobe'],
  insects: ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach'],
  large_carnivores: ['bear', 'leopard', 'lion', 'tiger', 'wolf'],
  'large_man-made_outdoor_things': ['bridge', 'castle', 'house', 'road', 'skyscraper'],
  large_natural_outdoor_scenes: ['cloud', 'forest', 'mountain', 'plain', 'sea'],
  large_omnivores_and_herbivores: ['camel', 'cattle', 'chimpanzee', 'elephant', 'kangaroo'],
  medium_mammals: ['fox', 'porcupine', 'possum', 'raccoon', 'skunk'],
  'non-insect_invertebrates': ['crab', 'lobster', 'snail', 'spider', 'worm'],
  people: ['baby', 'boy', 'girl', 'man', 'woman'],
  reptiles: ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle'],
  small_mammals: ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel'],
  trees: ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree'],
  vehicles_1: ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train'],
  vehicles_2: ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor'],
};

/**
 * CIFAR-100 as a 2-rank taxonomy (`superclass` → `class`), classes indexed by fine label.
 * Pass the label-name files' contents to use their spelling; the grouping is the official one.
 *
 * @example
 * const t = cifar100Taxonomy();
 * t.nameAt(19, 'superclass'); // 'large_omnivores_and_herbivores' (fine 19 = cattle)
 */
export function cifar100Taxonomy(): Taxonomy {
  const fineToCoarse = new Map<string, string>();
  for (const [coarse, fines] of Object.entries(CIFAR100_SUPERCLASSES))
    for (const f of fines) fineToCoarse.set(f, coarse);
  const fine = [...fineToCoarse.keys()].sort();
  return new Taxonomy(
    ['superclass', 'class'],
    fine.map((f) => ({ lineage: [fineToCoarse.get(f)!, f], common: f.replace(/_/g, ' ') })),
  );
}

/** Coarse label of every fine label (index = fine label), from the official grouping. */
export function cifar100CoarseOfFine(): Int32Array /* [100] */ {
  const coarseNames = Object.keys(CIFAR100_SUPERCLASSES);
  const t = cifar100Taxonomy();
  return Int32Array.from(t.classes, (c) => coarseNames.indexOf(c.lineage[0]!));
}
