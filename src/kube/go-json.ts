/**
 * JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped as \u00XX. A real
 * apiserver keeps raw JSON fields (a ControllerRevision's `data`, a CRD's raw extensions) byte for
 * byte, and its controllers compare those bytes with their own re-encoding: an object restored with
 * a literal `<` in a StatefulSet's args makes `data: field is immutable` on every sync, and the
 * StatefulSet never gets its pods back. The escapes only occur inside strings, so the JSON means the same.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
