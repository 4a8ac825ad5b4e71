// The peer of bench/accept.py: what a Node user would write to take job submissions over HTTP into
// Redis: Fastify 5 in front of a BullMQ queue. The same contract as Conveyor's POST: a JSON body
// with a non-empty "data" string (Fastify's schema validation), the job's id the upper-case MD5 of
// the data (BullMQ's jobId: a repeat is not queued twice), a JSON answer naming the job with a
// Location header. A health route for HAProxy's checks, as the apis have.
// usage: node fastify-bullmq.mjs <http port> <redis port> <name>
import { createHash } from "node:crypto";
import Fastify from "fastify";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

const [httpPort, redisPort] = process.argv.slice(2, 4).map(Number);
const name = process.argv[4];
// BullMQ 6 takes its Redis client from the application (ioredis is a peer dependency)
const connection = new Redis({ host: "127.0.0.1", port: redisPort, maxRetriesPerRequest: null });
const queue = new Queue("work", { connection });
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

const body = {
  type: "object",
  required: ["data"],
  properties: { data: { type: "string", minLength: 1, maxLength: 1000000 } },
};

app.post("/api/v1/work", { schema: { body } }, async (request, reply) => {
  const data = request.body.data;
  const callback = createHash("md5").update(data).digest("hex").toUpperCase();
  await queue.add("work", { data }, { jobId: callback });
  reply.header("Location", `/api/v1/work/${callback}`);
  return { accepted_by: name, callback, data, status: "accepted" };
});

app.get("/q/health/group/balancer", async () => ({ status: "UP" }));

await queue.waitUntilReady();
await app.listen({ host: "127.0.0.1", port: httpPort });
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await app.close();
    await queue.close();
    connection.disconnect();
    process.exit(0);
  });
}
