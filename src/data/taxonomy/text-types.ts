import { CladeError } from '../../util/errors.ts';
import { mostSpecific } from './taxonomy.ts';

/** BioCLIP 2's five text types (docs/methods.md §A.3), in their canonical order. */
export const TEXT_TYPES = ['taxon', 'sci', 'com', 'sci_com', 'taxon_com'] as const;
export type TextType = (typeof TEXT_TYPES)[number];

/** BioCLIP's single template. `{c}` marks where the class text goes. */
export const BIOCLIP_TEMPLATE = 'a photo of {c}.';

export function isTextType(s: string): s is TextType {
  return (TEXT_TYPES as readonly string[]).includes(s);
}

/**
 * The class text of one lineage in one text type, before a template is applied:
 * `taxon` = known rank names in order; `sci` = the scientific name, else the most specific known name;
 * `com` = the common name (falls back to `sci` when there is none); `sci_com` / `taxon_com` append
 * `with common name {common}` (without a common name they equal `sci` / `taxon`).
 */
export function taxonContent(
  lineage: readonly (string | null)[],
  common: string | undefined,
  type: TextType,
  scientific?: string,
): string {
  const taxon = lineage.filter((n): n is string => !!n).join(' ');
  const sci = scientific || mostSpecific(lineage);
  switch (type) {
    case 'taxon':
      return taxon;
    case 'sci':
      return sci;
    case 'com':
      return common || sci;
    case 'sci_com':
      return common ? `${sci} with common name ${common}` : sci;
    case 'taxon_com':
      return common ? `${taxon} with common name ${common}` : taxon;
    default:
      throw new CladeError(`unknown text type '${type as string}'; expected one of ${TEXT_TYPES.join(', ')}`);
  }
}

/**
 * A lineage rendered in one of BioCLIP 2's five text types, exactly as docs/methods.md §A.3:
 *
 * @example
 * taxonText(['Animalia','Chordata','Aves','Passeriformes','Corvidae','Pica','hudsonia'], 'black-billed magpie', 'taxon')
 * // 'a photo of Animalia Chordata Aves Passeriformes Corvidae Pica hudsonia.'
 * taxonText(lineage, 'black-billed magpie', 'sci_com', { scientific: 'Pica hudsonia' })
 * // 'a photo of Pica hudsonia with common name black-billed magpie.'
 */
export function taxonText(
  lineage: readonly (string | null)[],
  common: string | undefined,
  type: TextType,
  opts: { scientific?: string; template?: string } = {},
): string {
  return applyTemplate(
    opts.template ?? BIOCLIP_TEMPLATE,
    taxonContent(lineage, common, type, opts.scientific),
  );
}

/** Replaces `{c}` (or `{}`) in a template with the class text. */
export function applyTemplate(template: string, c: string): string {
  if (!template.includes('{c}') && !template.includes('{}'))
    throw new CladeError(`template '${template}' has no {c} placeholder`);
  return template.replace(/\{c?\}/g, c);
}

/** The scientific name a lineage implies: genus + epithet when the last two ranks are genus and species. */
export function scientificFromLineage(
  ranks: readonly string[],
  lineage: readonly (string | null)[],
): string | undefined {
  const g = ranks.indexOf('genus');
  const s = ranks.indexOf('species');
  if (g >= 0 && s >= 0 && lineage[g] && lineage[s]) return `${lineage[g]} ${lineage[s]}`;
  return undefined;
}

/**
 * Every class's captions in BioCLIP 2's five text types (TEXT_TYPES order) from a taxonomy's lineages, common and
 * scientific names. `display` maps a name to its written form (e.g. CIFAR-100's `maple_tree` → `maple tree`).
 *
 * @example
 * taxonomyCaptions(cifar100Taxonomy(), (n) => n.replace(/_/g, ' '))[19];
 * // ['a photo of large omnivores and herbivores cattle.', 'a photo of cattle.', 'a photo of cattle.', …]
 */
export function taxonomyCaptions(
  taxonomy: {
    readonly classes: readonly {
      lineage: readonly (string | null)[];
      common?: string;
      scientific?: string;
    }[];
  },
  display: (name: string) => string = (n) => n,
): string[][] /* [K][5] */ {
  return taxonomy.classes.map((c) => {
    const lineage = c.lineage.map((n) => (n === null ? null : display(n)));
    const common = c.common === undefined ? undefined : display(c.common);
    const scientific = c.scientific === undefined ? undefined : display(c.scientific);
    return TEXT_TYPES.map((t) => taxonText(lineage, common, t, { scientific }));
  });
}
