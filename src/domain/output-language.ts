/** The language of documents made for people outside the company (certificates, exports): Dutch unless asked otherwise. */
export const OUTPUT_LANGS = ['nl', 'en'] as const;
export type OutputLang = (typeof OUTPUT_LANGS)[number];
