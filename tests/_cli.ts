/** Runs the real tvstream CLI as a subprocess. */

export { spawnTvstream, tvstream } from "../bench/_tvstream.ts";
