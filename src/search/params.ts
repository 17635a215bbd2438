// Tuning constants of search, in one place, each with where it comes from. Any thread.

/**
 * A term found in more than this share of all symbols is treated as a stop word of the
 * repository (when the query has rarer terms): `self`, `value`, `data` in a Python repo.
 */
export const IDF_FLOOR_SHARE = 0.2;
