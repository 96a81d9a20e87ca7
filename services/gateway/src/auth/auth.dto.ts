import { username } from '@ticketcd/contracts';
import { z } from 'zod';

export const registerBody = z.strictObject({
  username,
  password: z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters'),
  name: z.string().trim().max(100).default(''),
  email: z.union([z.email('must be an e-mail address'), z.literal('')]).default(''),
});

export const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });

export const meReply = z.object({
  username: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(['user', 'admin']),
  createdAt: z.string(),
});
export const loginReply = z.object({ user: meReply, expiresAt: z.string() });
