// BullMQ's drain of N no-op jobs on the same Redis, for comparison with Conveyor's (bench/drain.py).
// The worker first drains WARMUP jobs (a warm JIT, as for Conveyor's workers), is paused, the N jobs
// are added, and the clock runs from resume() to the last 'completed' event.
// With "mix", the jobs are of three kinds, as a BullMQ user would set up Conveyor's three job types
// and three priorities: a queue per type (a Worker each at the concurrency, in this one process, the
// checksum queue's answering the data's SHA-256 and the wordcount queue's its lines, words and
// characters, as Conveyor's handlers do), every job added with a priority of 1, 2 or 3 (high,
// normal, low): a ninth of the jobs of each.
// usage: node bullmq-drain.mjs <redis port> <N> <concurrency> <WARMUP> [mix]
import { createHash } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";

const [port, count, concurrency, warmup] = process.argv.slice(2, 6).map(Number);
const mix = process.argv[6] === "mix";
// BullMQ 6 takes its Redis clients from the application; a Worker blocks on its own connection
const client = () => new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: null });
const name = "bench-" + Date.now();
const work = {
  default: async () => ({ ok: true }),
  checksum: async (job) => ({ sha256: createHash("sha256").update(job.data.data).digest("hex") }),
  wordcount: async (job) => wordcount(job.data.data),
};
// the same counts as Conveyor's WordCountHandler: lines as they end (or as the last one runs
// out), runs of non-space, code points
function wordcount(text) {
  let lines = 0;
  let words = 0;
  let chars = 0;
  let inWord = false;
  for (const ch of text) {
    chars++;
    if (ch === "\n") lines++;
    const space = /\s/u.test(ch);
    if (!space && !inWord) words++;
    inWord = !space;
  }
  if (text.length > 0 && !text.endsWith("\n")) lines++;
  return { lines, words, chars };
}
const kinds = mix ? ["default", "checksum", "wordcount"] : ["default"];
const clients = [];
const queues = {};
const workers = [];

let done = 0;
let target = warmup;
let reached = () => {};
let last = 0;
for (const kind of kinds) {
  const queueClient = client();
  const workerClient = client();
  clients.push(queueClient, workerClient);
  queues[kind] = new Queue(`${name}-${kind}`, { connection: queueClient });
  const worker = new Worker(`${name}-${kind}`, work[kind], {
    connection: workerClient,
    concurrency,
    autorun: false,
  });
  worker.on("completed", () => {
    done++;
    if (done === target) {
      last = performance.now();
      reached();
    }
  });
  workers.push(worker);
}
const until = (n) =>
  new Promise((resolve) => {
    target = n;
    reached = resolve;
    if (done >= n) resolve();
  });

async function add(n, tag) {
  for (let i = 0; i < n; i += 1000) {
    const batches = Object.fromEntries(kinds.map((kind) => [kind, []]));
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const kind = kinds[j % kinds.length];
      const opts = mix ? { priority: 1 + (Math.floor(j / kinds.length) % 3) } : undefined;
      batches[kind].push({ name: kind, data: { data: `${tag} ${j}` }, opts });
    }
    await Promise.all(kinds.map((kind) => queues[kind].addBulk(batches[kind])));
  }
}

await add(warmup, "warm");
const warmed = until(warmup);
for (const worker of workers) worker.run();
await warmed;
await Promise.all(workers.map((worker) => worker.pause()));
await add(count, "measured");
const drained = until(warmup + count);
const start = performance.now();
for (const worker of workers) worker.resume();
await drained;
const seconds = (last - start) / 1000;
console.log(
  JSON.stringify({ system: "bullmq", mix, jobs: count, concurrency, seconds, perSecond: count / seconds }),
);
await Promise.all(workers.map((worker) => worker.close()));
for (const queue of Object.values(queues)) {
  await queue.obliterate({ force: true });
  await queue.close();
}
for (const c of clients) c.disconnect();
