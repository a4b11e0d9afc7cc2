/**
 * YAML scenario files, the only importer of the `yaml` library: parsed
 * with the line each value starts on, by the same paths as JSON
 * (src/world/json_located.ts), so a mistake is named by line either way.
 *
 * @module
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { childPath, JsonSyntaxError, type Located } from "./json_located.ts";

/** Parses YAML `text`; throws {@linkcode JsonSyntaxError} naming the line. */
export function parseYamlLocated(text: string): Located {
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: counter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0]?.line ??
      counter.linePos(error.pos[0]).line;
    throw new JsonSyntaxError(line, error.message.split("\n")[0]!);
  }
  const lines = new Map<string, number>();
  const walk = (node: Node | null | undefined, path: string): void => {
    if (!node) return;
    if (node.range) lines.set(path, counter.linePos(node.range[0]).line);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key)
          ? String(pair.key.value)
          : String(pair.key);
        const child = childPath(path, key);
        // An empty value has no node: name the key's line.
        if (isScalar(pair.key) && pair.key.range) {
          lines.set(child, counter.linePos(pair.key.range[0]).line);
        }
        walk(pair.value as Node | null, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node, childPath(path, i)));
    }
  };
  walk(doc.contents as Node | null, "");
  return { value: doc.toJS(), lines };
}
