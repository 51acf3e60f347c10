/**
 * The production artifact: what `tsconfig.build.json` compiles, what the Dockerfile's runtime stage
 * copies, and how the compiled bot starts. There is no Docker engine on the build machine, so the
 * Dockerfile is read as text, stage by stage; the build itself is compiled and started for real.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_VARIABLES } from '../support/required-variables.js';

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Stage {
  base: string;
  name: string | undefined;
  /** Instructions after FROM, continuation lines joined, comments dropped. */
  instructions: string[];
}

function dockerStages(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ base: from[1]!, name: from[2], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}

const stages = dockerStages(read('Dockerfile'));
const runtime = stages.at(-1)!;
const packageJson = JSON.parse(read('package.json')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};

describe('Dockerfile', () => {
  it('builds every stage on Node 24 LTS', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.base, `stage ${stage.name ?? '(last)'}`).toMatch(/^node:24(-|$)/);
  });

  it('type-checks and compiles in a build stage with the production tsconfig', () => {
    const build = stages.find((stage) =>
      stage.instructions.some((line) => /^RUN .*tsc -p tsconfig\.build\.json/.test(line)),
    );
    expect(build, 'a stage that runs tsc -p tsconfig.build.json').toBeDefined();
    expect(build!.instructions).toContain('COPY src ./src');
    expect(build!.instructions.join('\n')).not.toMatch(/COPY (sandbox|test|bench)\b/);
  });

  it('copies into the runtime stage production dependencies, the compiled bot and package.json, and nothing else', () => {
    const copies = runtime.instructions.filter((line) => /^(COPY|ADD)\s/.test(line));
    expect(copies).toEqual([
      'COPY --from=deps /app/node_modules ./node_modules',
      'COPY --from=build /app/dist/src ./dist/src',
      'COPY package.json ./',
    ]);
    const deps = stages.find((stage) => stage.name === 'deps')!;
    expect(deps.instructions.some((line) => /^RUN npm ci --omit=dev\b/.test(line))).toBe(true);
    expect(runtime.instructions).toContain('ENV NODE_ENV=production');
  });

  it('runs as a non-root user, checks /healthz and starts node in exec form on the compiled entry point', () => {
    expect(runtime.instructions.some((line) => /^USER (?!root\b)\w+/.test(line))).toBe(true);
    expect(runtime.instructions.some((line) => /^HEALTHCHECK .*\/healthz/.test(line))).toBe(true);
    expect(runtime.instructions.at(-1)).toBe('CMD ["node", "dist/src/main.js"]');
  });
});

describe('package.json', () => {
  it('runs on Node 24 and keeps tsx, the sandbox-only ws and the test tools out of the production dependencies', () => {
    expect(packageJson.engines.node).toBe('>=24 <25');
    expect(packageJson.devDependencies.node).toMatch(/^24\./);
    expect(packageJson.devDependencies['@types/node']).toMatch(/^24\./);
    for (const name of ['tsx', 'ws', 'vitest', 'typescript', 'node'])
      expect(Object.keys(packageJson.dependencies)).not.toContain(name);
  });
});

describe('the compiled production build', () => {
  const out = join(root, 'test-output', `build-${randomBytes(4).toString('hex')}`);

  beforeAll(() => {
    const tsc = spawnSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out],
      { encoding: 'utf8' },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('holds compiled JavaScript of src/ only: no TypeScript, no sandbox, no tests', () => {
    const files = filesBelow(out).map((path) => relative(out, path));
    expect(files).toContain(join('src', 'main.js'));
    for (const file of files) {
      expect(file, file).toMatch(/^src\//);
      expect(file, file).toMatch(/\.js(\.map)?$/);
    }
  });

  /** `node <build>/src/main.js` as the image's CMD runs it, with only the variables given. */
  function startBuilt(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [join(out, 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('with NODE_ENV=production and no configuration exits 1 within seconds, naming every missing variable', async () => {
    const started = Date.now();
    const result = await startBuilt({ NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const name of REQUIRED_VARIABLES) expect(result.stderr).toContain(`- ${name}: required`);
    expect(result.stdout).toBe('');
  }, 20_000);

  it('with an incomplete configuration exits 1 with one message naming each problem, never echoing a secret', async () => {
    const result = await startBuilt({ SLACK_SIGNING_SECRET: 'SECRET-SIGNING-VALUE', PORT: 'x' });
    expect(result.code).toBe(1);
    for (const name of ['SLACK_BOT_TOKEN', 'HBR_APPROVERS', 'PORT']) expect(result.stderr).toContain(`- ${name}:`);
    expect(result.stderr + result.stdout).not.toContain('SECRET-SIGNING-VALUE');
  }, 20_000);

  it('says the sandbox is not part of it when HBR_SANDBOX=1 asks for one', async () => {
    const result = await startBuilt({ NODE_ENV: 'production', HBR_SANDBOX: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hbr-bot: this build has no sandbox .*npm run sandbox\n$/);
  }, 20_000);
});
