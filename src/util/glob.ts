/**
 * Shell-style glob patterns (`*`, `?`, `[..]`, `[!..]`), one path segment at a time: what local
 * input patterns (ops/inputs.ts) and s3:// key patterns (readers/remote/list.ts) both expand.
 *
 *   GLOB_MAGIC                  a segment with any of these characters is a pattern
 *   segmentSource(segment)      the segment as a regular expression's source ("*" never crosses "/")
 */

export const GLOB_MAGIC = /[*?[]/;

export function segmentSource(segment: string): string {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = segment
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return re;
}
