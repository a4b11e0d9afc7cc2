/** Runs the real tvstream CLI as a subprocess. */

export { spawnTvstream, tvstream } from "../tools/tvstream_cli.ts";
