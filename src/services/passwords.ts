import { hash, verify, Algorithm } from '@node-rs/argon2';

/**
 * Password hashing with argon2id (the OWASP first choice), through the maintained Rust binding.
 * The library's defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane): ~60 ms here.
 */
const OPTIONS = { algorithm: Algorithm.Argon2id } as const;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** @example await hashPassword('correct horse battery') // '$argon2id$v=19$m=19456,t=2,p=1$…' */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password and for a hash that is not a valid PHC string. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** The throw-away hash unknown users are checked against: made with the same options as every real one. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('dummy password that matches nothing');
  return dummy;
}

/**
 * Checks a password against a throw-away hash, so a sign-in for an unknown user costs the same
 * time as one for a known user with a wrong password (no user enumeration by timing): the same
 * argon2id verify with the same memory, passes and lanes.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await dummyHash(), password);
  return false;
}
