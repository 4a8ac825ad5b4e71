// BullMQ's drain of N no-op jobs on the same Redis, for comparison with Conveyor's (bench/drain.py).
// The worker first drains WARMUP jobs (a warm JIT, as for Conveyor's workers), is paused, the N jobs
// are added, and the clock runs from resume() to the last 'completed' event.
// usage: node bullmq-drain.mjs <redis port> <N> <concurrency> <WARMUP>
import { Queue, Worker } from "bullmq";

const [port, count, concurrency, warmup] = process.argv.slice(2).map(Number);
const connection = { host: "127.0.0.1", port };
const name = "bench-" + Date.now();
const queue = new Queue(name, { connection });

async function add(n, tag) {
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ name: "noop", data: { tag, j } });
    await queue.addBulk(batch);
  }
}

let done = 0;
let target = warmup;
let reached = () => {};
let last = 0;
const worker = new Worker(name, async () => ({ ok: true }), { connection, concurrency, autorun: false });
worker.on("completed", () => {
  done++;
  if (done === target) {
    last = performance.now();
    reached();
  }
});
const until = (n) => new Promise((resolve) => { target = n; reached = resolve; if (done >= n) resolve(); });

await add(warmup, "warm");
const warmed = until(warmup);
worker.run();
await warmed;
await worker.pause();
await add(count, "measured");
const drained = until(warmup + count);
const start = performance.now();
worker.resume();
await drained;
const seconds = (last - start) / 1000;
console.log(JSON.stringify({ system: "bullmq", jobs: count, concurrency, seconds, perSecond: count / seconds }));
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
