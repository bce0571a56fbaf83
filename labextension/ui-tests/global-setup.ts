/** Seeds data files and models into the test server's root and store (see seed.py). */
import { execFileSync } from 'child_process';
import * as path from 'path';

export default async function globalSetup(): Promise<void> {
  const out = execFileSync('python', [path.join(__dirname, 'seed.py')], {
    encoding: 'utf8',
    env: process.env,
    timeout: 600_000,
    stdio: ['ignore', 'pipe', 'inherit']
  });
  console.log(`seeded: ${out.trim().split('\n').pop()}`);
}
