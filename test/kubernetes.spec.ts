import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseAllDocuments } from 'yaml';
import { loadConfig, VARIABLES } from '../src/config/app-config.js';
import { HealthController } from '../src/health/health.controller.js';
import { MetricsController } from '../src/metrics/metrics.controller.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [field: string]: unknown };
type Container = {
  name: string;
  image: string;
  command?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; emptyDir?: object }[];
};
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: PodSpec };

const root = resolve(import.meta.dirname, '..');
const folder = join(root, 'deploy/kubernetes');

const kustomization = parseAllDocuments(
  readFileSync(join(folder, 'kustomization.yaml'), 'utf8'),
)[0].toJS() as {
  resources: string[];
};
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((doc) => doc.toJS() as Manifest),
);

function one(kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found).toHaveLength(1);
  return found[0];
}

const deployment = one('Deployment') as Manifest & {
  spec: { selector: { matchLabels: Record<string, string> }; template: PodTemplate };
};
const job = one('Job') as Manifest & { spec: { template: PodTemplate } };
const configMap = one('ConfigMap') as Manifest & { data: Record<string, string> };
const secret = one('Secret') as Manifest & { stringData: Record<string, string> };
const pod = deployment.spec.template;
const container = pod.spec.containers[0];

/** The kubernetes-models class for a manifest, by its apiVersion and kind (core v1 lives in `v1/`). */
async function modelFor(manifest: Manifest): Promise<new (data: object) => { validate(): void }> {
  const path = manifest.apiVersion.includes('/') ? manifest.apiVersion : `v1`;
  const module = (await import(`kubernetes-models/${path}`)) as Record<
    string,
    new (data: object) => { validate(): void }
  >;
  return module[manifest.kind];
}

/** The route a controller method answers, as Nest records it. */
function routeOf(controller: object, path: string): string | undefined {
  const prototype = (controller as { prototype: Record<string, unknown> }).prototype;
  return Object.getOwnPropertyNames(prototype)
    .map((name) => Reflect.getMetadata(PATH_METADATA, prototype[name] as object) as string | undefined)
    .find((route) => route === path);
}

/** The environment a pod of the Deployment gets: its ConfigMap and Secret, then its own `env`. */
function podEnvironment(spec: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of spec.envFrom ?? []) {
    if (source.configMapRef) {
      expect(source.configMapRef.name).toBe(configMap.metadata.name);
      Object.assign(env, configMap.data);
    }
    if (source.secretRef) {
      expect(source.secretRef.name).toBe(secret.metadata.name);
      Object.assign(env, secret.stringData);
    }
  }
  for (const { name, value } of spec.env ?? []) env[name] = value;
  return env;
}

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in kustomization.yaml', () => {
    const files = readdirSync(folder).filter(
      (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('validates every manifest against the Kubernetes schemas', async () => {
    expect(manifests.length).toBeGreaterThanOrEqual(10);
    for (const manifest of manifests) {
      const Model = await modelFor(manifest);
      expect(() => new Model(manifest).validate()).not.toThrow();
    }
  });

  it('the schemas refuse a broken manifest (the validation can fail)', () => {
    const broken = structuredClone(deployment) as typeof deployment;
    (broken.spec.template.spec.containers[0].ports![0] as { containerPort: unknown }).containerPort = 'http';
    expect(() => new Deployment(broken as object).validate()).toThrow(/containerPort/);
  });

  it('sets only variables the configuration class reads, and a pod environment it accepts', () => {
    const known = new Set<string>(VARIABLES);
    for (const spec of [container, job.spec.template.spec.containers[0]]) {
      const names = Object.keys(podEnvironment(spec));
      expect(names.filter((name) => !known.has(name))).toEqual([]);
    }
    const config = loadConfig(podEnvironment(container));
    expect(config.production).toBe(true);
    expect(config.database.type).toBe('mysql');
    expect(config.migrations).toBe('off');
    expect(config.port).toBe(container.ports!.find((port) => port.name === 'http')!.containerPort);
    expect(config.metricsToken).not.toBeNull();
  });

  it('probes the routes the service answers: readiness /ready, liveness /health', () => {
    expect(container.readinessProbe!.httpGet.path).toBe('/ready');
    expect(container.livenessProbe!.httpGet.path).toBe('/health');
    expect(container.startupProbe!.httpGet.path).toBe('/health');
    expect(routeOf(HealthController, 'ready')).toBe('ready');
    expect(routeOf(HealthController, 'health')).toBe('health');
    for (const probe of [container.readinessProbe!, container.livenessProbe!, container.startupProbe!]) {
      expect(container.ports!.map((port) => port.name)).toContain(probe.httpGet.port);
    }
  });

  it('waits before SIGTERM and leaves the drain and the close time to finish within the grace period', () => {
    const preStop = container.lifecycle!.preStop!.exec!.command;
    expect(preStop[0]).toBe('sleep');
    const delay = Number(preStop[1]);
    expect(delay).toBeGreaterThanOrEqual(3);
    const drainSeconds = loadConfig(podEnvironment(container)).shutdownDrainMs / 1000;
    // After the drain the service takes at most 10 s to close (README, Shutdown).
    expect(delay + drainSeconds + 10).toBeLessThan(pod.spec.terminationGracePeriodSeconds!);
  });

  it('runs as non-root on a read-only root filesystem, writing only to emptyDir volumes', () => {
    for (const spec of [pod.spec, job.spec.template.spec]) {
      expect(spec.securityContext!.runAsNonRoot).toBe(true);
      expect(spec.securityContext!.runAsUser).not.toBe(0);
      const [only] = spec.containers;
      expect(only.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      // The data folder the configuration resolves (./data under the image's WORKDIR) is writable.
      const workdir = /^WORKDIR (\S+)$/m.exec(
        readFileSync(join(root, 'Dockerfile'), 'utf8').split('FROM').at(-1)!,
      )![1];
      const mounts = Object.fromEntries(only.volumeMounts!.map((mount) => [mount.mountPath, mount.name]));
      expect(mounts[`${workdir}/data`]).toBeDefined();
      const volume = spec.volumes!.find((v) => v.name === mounts[`${workdir}/data`]);
      expect(volume!.emptyDir).toBeDefined();
    }
  });

  it('asks for CPU and bounds memory', () => {
    expect(container.resources!.requests!.cpu).toMatch(/^\d+m?$/);
    expect(container.resources!.requests!.memory).toMatch(/^\d+Mi$/);
    expect(container.resources!.limits!.memory).toMatch(/^\d+Mi$/);
    expect(container.resources!.limits!.cpu).toBeUndefined();
  });

  it('migrates in a Job with the cli, the Deployment starting with MIGRATIONS=off', () => {
    const [migrate] = job.spec.template.spec.containers;
    expect(migrate.command).toEqual(['node', 'dist/cli.js', 'migrate']);
    expect(migrate.image).toBe(container.image);
    expect(readFileSync(join(root, 'src/cli.ts'), 'utf8')).toMatch(/command === 'migrate'/);
    expect(podEnvironment(container).MIGRATIONS).toBe('off');
  });

  it('points the Service, the PDB, the HPA and the NetworkPolicy at the Deployment`s pods', () => {
    const labels = pod.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    const service = one('Service') as Manifest & {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    expect(matches(service.spec.selector)).toBe(true);
    expect(service.spec.ports.map((port) => port.targetPort)).toEqual(['http']);
    const pdb = one('PodDisruptionBudget') as Manifest & {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    const hpa = one('HorizontalPodAutoscaler') as Manifest & {
      spec: { scaleTargetRef: { kind: string; name: string }; metrics: { resource: { name: string } }[] };
    };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.metrics.map((metric) => metric.resource.name)).toEqual(['cpu']);
    const policy = one('NetworkPolicy') as Manifest & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { ports: { port: string }[] }[];
      };
    };
    expect(matches(policy.spec.podSelector.matchLabels)).toBe(true);
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port))).toEqual(['http']);
  });

  it('keeps /metrics, /health and /ready off the public path', () => {
    expect(routeOf(MetricsController, 'metrics')).toBe('metrics');
    const ingress = one('Ingress') as Manifest & {
      spec: { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] };
    };
    const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths);
    expect(paths.length).toBeGreaterThan(0);
    for (const internal of ['/metrics', '/health', '/ready', '/']) {
      expect(paths.filter(({ path }) => internal === path || internal.startsWith(`${path}/`))).toEqual([]);
    }
    expect(paths.every(({ backend }) => backend.service.name === one('Service').metadata.name)).toBe(true);
  });
});
