// Validates Kubernetes objects offline against Kubernetes' own OpenAPI schemas, as compiled into
// the npm `kubernetes-models` package: each object is constructed with the class of its
// apiVersion/kind and `.validate()` throws on a wrong type, a missing required field or a bad enum.
//   node validate_k8s.js OBJECTS.json     (a JSON array of {file, object}; NODE_PATH finds the package)
'use strict';
const fs = require('fs');

const entries = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let failed = 0;
for (const { file, object } of entries) {
  const where = `${file}: ${object.kind}/${object.metadata && object.metadata.name}`;
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  let Model;
  try {
    Model = require(module)[object.kind];
  } catch (e) {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    console.log(`FAIL ${where}: no schema for ${object.apiVersion} ${object.kind} in kubernetes-models`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${where} is a valid ${object.apiVersion} ${object.kind}`);
  } catch (e) {
    console.log(`FAIL ${where}: ${e.message}`);
    failed++;
  }
}
if (entries.length === 0) {
  console.log('FAIL no Kubernetes object to validate');
  failed++;
}
process.exit(failed ? 1 : 0);
