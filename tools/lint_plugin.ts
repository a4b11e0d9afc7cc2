/**
 * tvstream's own lint rules, loaded by `deno lint` (deno.json
 * `lint.plugins`): the house rule that a function stays short enough to
 * hold in one's head is checked on every lint, not by review alone.
 *
 * @module
 */

/** Longest function body, in lines, that the house style accepts. */
export const MAX_FUNCTION_LINES = 120;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index;) {
    line++;
    i = text.indexOf("\n", i + 1);
  }
  return line;
}

const plugin: Deno.lint.Plugin = {
  name: "tvstream",
  rules: {
    "max-function-lines": {
      create(context) {
        const text = context.sourceCode.text;
        const check = (
          node:
            | Deno.lint.FunctionDeclaration
            | Deno.lint.FunctionExpression
            | Deno.lint.ArrowFunctionExpression,
        ) => {
          const [start, end] = node.range;
          const lines = lineOf(text, end) - lineOf(text, start) + 1;
          if (lines > MAX_FUNCTION_LINES) {
            context.report({
              node,
              message:
                `function spans ${lines} lines (at most ${MAX_FUNCTION_LINES})`,
              hint: "split it into named steps a reader can hold in their head",
            });
          }
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};

export default plugin;
