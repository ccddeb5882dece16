// Builds the package: compiles the library, the examples (examples/typescript) and the tests with
// tsc (incrementally, as one project build) and copies the sidecar's .proto files into
// dist/proto, so that the package works both from the repository and when installed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repositoryProtoDir = join(packageDir, '..', '..', 'proto', 'exosphere');
const tsc = join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc');

if (!existsSync(tsc)) {
  console.error(
    `build: ${join(packageDir, 'node_modules')} is missing or incomplete; ` +
      'run "npm ci" in client/typescript (scripts/setup.sh does it)',
  );
  process.exit(1);
}

const compiled = spawnSync(process.execPath, [tsc, '--build', join(packageDir, 'tsconfig.json')], {
  cwd: packageDir,
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const target = join(packageDir, 'dist', 'proto', 'exosphere');
rmSync(target, { recursive: true, force: true });
mkdirSync(dirname(target), { recursive: true });
cpSync(repositoryProtoDir, target, { recursive: true, filter: (path) => !path.endsWith('CMakeLists.txt') });
