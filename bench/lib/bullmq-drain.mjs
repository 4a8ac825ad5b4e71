// BullMQ's drain of N pre-queued no-op jobs on the same Redis, for comparison with Conveyor's
// (bench/drain.sh). usage: node bullmq-drain.mjs <redis port> <N> <concurrency>
import { Queue, Worker } from "bullmq";

const [port, count, concurrency] = process.argv.slice(2).map(Number);
const connection = { host: "127.0.0.1", port };
const name = "bench-" + Date.now();
const queue = new Queue(name, { connection });
for (let i = 0; i < count; i += 1000) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + 1000); j++) batch.push({ name: "noop", data: { i: j } });
  await queue.addBulk(batch);
}
let done = 0;
let first = 0;
const finished = new Promise((resolve) => {
  const worker = new Worker(name, async () => ({ ok: true }), { connection, concurrency });
  worker.on("completed", () => {
    if (done === 0) first = performance.now();
    done++;
    if (done === count) resolve(worker);
  });
});
const worker = await finished;
const seconds = (performance.now() - first) / 1000;
console.log(JSON.stringify({ system: "bullmq", jobs: count, concurrency, seconds, perSecond: (count - 1) / seconds }));
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
