// DMI strings that vendors leave unfilled (they name no product or vendor): the one place this list is kept.
// probes/host.ts tests product and vendor names with DMI_PLACEHOLDERS; the POSIX-sh probe gets the list from
// its assembler.

/** AMI's default "To be filled by O.E.M." with and without each of its dots, as firmware spells it. */
function withAndWithoutDots(text: string): string[] {
  let variants = [''];
  for (const char of text) variants = char === '.' ? variants.flatMap((v) => [`${v}.`, v]) : variants.map((v) => v + char);
  return variants;
}

/** Whole values, lower case; a DMI string equal to one of them (ignoring case) is a placeholder. */
export const DMI_PLACEHOLDER_VALUES: readonly string[] = [
  ...withAndWithoutDots('to be filled by o.e.m.'),
  'system product name',
  'default string',
  'not applicable',
  'none',
  'not specified',
];

/** Characters that, repeated through the whole value ("0000", "XXXX"), make a placeholder too (lower case). */
export const DMI_PLACEHOLDER_REPEATED_CHARS: readonly string[] = ['0', 'x'];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches a whole (trimmed) DMI string that is a placeholder, ignoring case. */
export const DMI_PLACEHOLDERS = new RegExp(
  `^(?:${[...DMI_PLACEHOLDER_VALUES.map(escapeRegExp), ...DMI_PLACEHOLDER_REPEATED_CHARS.map((c) => `${escapeRegExp(c)}+`)].join('|')})$`,
  'i',
);
