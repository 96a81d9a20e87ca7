// Guards: passwords are never stored, only a salted scrypt hash that verifies.
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('correct horse battery', cheap);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(h).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery', h)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', h)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('same password 1', cheap)).not.toBe(await hashPassword('same password 1', cheap));
  });

  it('refuses malformed stored values and the dummy hash', async () => {
    await expect(verifyPassword('x', 'plain')).resolves.toBe(false);
    await expect(verifyPassword('anything at all', DUMMY_HASH)).resolves.toBe(false);
  });
});
