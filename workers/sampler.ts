/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * Sampler worker: generates one shard of `tvstream sample`'s stream for
 * the main thread to merge (src/generator/sampler.ts).
 */
import { serveSampler } from "../src/generator/sampler.ts";
import { advertiserNames } from "../src/model/faker.ts";

serveSampler(self, () => advertiserNames());
