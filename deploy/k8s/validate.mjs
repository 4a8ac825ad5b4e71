// Validates the manifests of deploy/k8s against the Kubernetes schemas, offline: the schemas come
// with the npm package kubernetes-models. Run by .ci/run:
//   npm install kubernetes-models js-yaml && node deploy/k8s/validate.mjs deploy/k8s/*.yaml
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (!doc || doc.kind === "Kustomization") continue;
    const where = `${file}: ${doc.kind} ${doc.metadata?.name ?? "?"}`;
    try {
      const module = await import(`kubernetes-models/${doc.apiVersion}`);
      const Model = module[doc.kind];
      if (!Model) throw new Error(`no schema for kind ${doc.kind} in ${doc.apiVersion}`);
      new Model(doc).validate();
      console.log(`ok   ${where}`);
    } catch (e) {
      problems++;
      console.log(`FAIL ${where}: ${e.message}`);
    }
  }
}
process.exit(problems === 0 ? 0 : 1);
