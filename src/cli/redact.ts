/**
 * Removes secrets from any text before it is printed.
 *
 * @module
 */
/** Env var names whose values must never be printed. */
const SECRET_ENV = ["TVSTREAM_SASL_PASSWORD"];

/** Replaces every known secret value (the SASL password), and any `password=...`, in `text` with `***`. */
export function redact(text: string): string {
  const values: string[] = [];
  for (const name of SECRET_ENV) {
    try {
      const v = Deno.env.get(name);
      if (v) values.push(v);
    } catch {
      // Without env permission there is nothing of ours to hide.
    }
  }
  let out = text;
  for (const v of values) if (v.length >= 3) out = out.split(v).join("***");
  return out.replace(
    /("?password"?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi,
    "$1***",
  );
}
