/**
 * The dashboard's files, imported as text so that `deno compile` embeds
 * them in the binary: the page, its script and styles, and uPlot (the
 * chart library, from npm) with its stylesheet.
 *
 * @module
 */
import page from "./page/index.html" with { type: "text" };
import script from "./page/app.js" with { type: "text" };
import styles from "./page/style.css" with { type: "text" };
import uplot from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotStyles from "uplot/dist/uPlot.min.css" with { type: "text" };

/** One served file. */
export interface Asset {
  type: string;
  body: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** Every file the dashboard needs, by path. */
export const ASSETS: Record<string, Asset> = {
  "/": { type: "text/html; charset=utf-8", body: page },
  "/app.js": { type: JS, body: script },
  "/style.css": { type: CSS, body: styles },
  "/vendor/uPlot.iife.min.js": { type: JS, body: uplot },
  "/vendor/uPlot.min.css": { type: CSS, body: uplotStyles },
  "/favicon.ico": {
    type: "image/svg+xml",
    body: "<svg xmlns='http://www.w3.org/2000/svg'/>",
  },
};
