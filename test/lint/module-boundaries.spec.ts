/**
 * The module boundaries are enforced by lint: a service importing another service, or a lib
 * importing a service, is an error. Lints virtual files through the project's own ESLint config.
 */
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

// The rule reads Nx's cached project graph; make sure it exists and is current.
beforeAll(async () => {
  await createProjectGraphAsync({ exitOnError: false });
}, 120_000);

async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('a service importing another service fails lint', async () => {
    const messages = await lint(
      'services/orders/src/__fixture__.ts',
      "import { InventoryModule } from '@ticketcd/inventory';\nexport const x = InventoryModule;\n",
    );
    expect(messages).toEqual([expect.stringMatching(/Imports of apps are forbidden/)]);
  }, 60_000);

  it('a lib importing a service fails lint', async () => {
    const messages = await lint(
      'libs/shared/contracts/src/__fixture__.ts',
      "import { GatewayModule } from '@ticketcd/gateway';\nexport const x = GatewayModule;\n",
    );
    expect(messages.length).toBeGreaterThan(0);
  }, 60_000);

  it('a lib importing test helpers fails lint', async () => {
    const messages = await lint(
      'libs/shared/config/src/__fixture__.ts',
      "import { waitFor } from '@ticketcd/testing';\nexport const x = waitFor;\n",
    );
    expect(messages).toEqual([expect.stringMatching(/can only depend on libs tagged with "type:lib"/)]);
  }, 60_000);

  it('a service importing shared libs passes', async () => {
    expect(await lint('services/orders/src/__fixture__.ts', "import { keys } from '@ticketcd/keys';\nexport const x = keys;\n")).toEqual(
      [],
    );
  }, 60_000);
});
