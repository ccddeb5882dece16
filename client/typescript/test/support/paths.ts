import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** client/typescript (dist/test/support/paths.js -> ../../..). */
export const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));
/** The repository root. */
export const REPOSITORY_DIR = fileURLToPath(new URL('../../../../../', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export function protoRootForTests(): string {
  return fileURLToPath(new URL('../../proto', import.meta.url));
}

/** Where exosphere-sidecar and exosphere-devserver are: EXOSPHERE_BIN_DIR, else build/bin. */
export function binDir(): string {
  const dir = process.env.EXOSPHERE_BIN_DIR || `${REPOSITORY_DIR}build/bin`;
  for (const binary of ['exosphere-sidecar', 'exosphere-devserver']) {
    if (!existsSync(`${dir}/${binary}`)) {
      throw new Error(
        `${dir}/${binary} does not exist: build it (scripts/setup.sh) or point EXOSPHERE_BIN_DIR at the directory that has it`,
      );
    }
  }
  return dir;
}
