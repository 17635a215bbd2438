// The projects one MCP server serves (the roots given to `leindex serve`), the mapping of a
// tool's `project_path` to one of them (never anything outside: symlinks are resolved and
// `..` cannot escape), and the index jobs of all of them by id. Server thread.

import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { resolveOptions, type IndexOptions } from '../config.js';
import { LeindexError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { IndexJob } from './jobs.js';
import { Project, type ProjectSettings } from './project.js';

/** Finished jobs remembered for polling by id. */
const JOB_HISTORY = 32;

export interface RegistryOptions {
  /** Project roots, absolute; the first is the default for calls without project_path. */
  roots: readonly string[];
  /** Options from the command line (they win over leindex.toml, as for `leindex index`). */
  cliOptions: Partial<IndexOptions>;
  settings: ProjectSettings;
  log: Logger;
}

export class ProjectRegistry {
  private readonly projects = new Map<string, Project>();
  private readonly realRoots: { real: string; root: string }[];
  private readonly jobs = new Map<string, IndexJob>();

  constructor(private readonly opts: RegistryOptions) {
    if (opts.roots.length === 0) throw new LeindexError('E_USAGE', 'no project root to serve');
    this.realRoots = opts.roots.map((root) => ({ root, real: realpathSync(root) }));
    // Deepest root first, so a path inside a nested root maps to that one.
    this.realRoots.sort((a, b) => b.real.length - a.real.length);
  }

  get defaultRoot(): string {
    return this.opts.roots[0] ?? '';
  }

  get roots(): readonly string[] {
    return this.opts.roots;
  }

  /** The project a tool call is about: project_path (or a path inside a served root), default the first root. */
  resolve(projectPath: string | undefined): Project {
    const root =
      projectPath === undefined || projectPath === '' ? this.defaultRoot : this.rootOf(projectPath);
    return this.project(root);
  }

  /** All projects opened so far. */
  all(): Project[] {
    return [...this.projects.values()];
  }

  project(root: string): Project {
    let p = this.projects.get(root);
    if (!p) {
      const { options } = resolveOptions(root, this.opts.cliOptions);
      p = new Project(root, options, this.opts.settings, this.opts.log, (job) => this.remember(job));
      this.projects.set(root, p);
    }
    return p;
  }

  job(id: string): IndexJob | undefined {
    return this.jobs.get(id);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((p) => p.close()));
  }

  private remember(job: IndexJob): void {
    this.jobs.set(job.id, job);
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= JOB_HISTORY) break;
      if (j.status !== 'running') this.jobs.delete(id);
    }
  }

  private rootOf(projectPath: string): string {
    if (projectPath.includes('\0')) throw outside(projectPath, this.opts.roots);
    const abs = isAbsolute(projectPath) ? resolve(projectPath) : resolve(this.defaultRoot, projectPath);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      // Not there: say whether it would have been inside, so the message fits the mistake.
      const lexical = this.realRoots.find((r) => within(r.root, abs));
      if (!lexical) throw outside(projectPath, this.opts.roots);
      throw new LeindexError('E_PATH_NOT_FOUND', `${projectPath} does not exist`, {
        hint: `served projects: ${this.opts.roots.join(', ')}`,
      });
    }
    const hit = this.realRoots.find((r) => within(r.real, real));
    if (!hit) throw outside(projectPath, this.opts.roots);
    if (!statSync(real).isDirectory() && real === hit.real)
      throw new LeindexError('E_PATH_NOT_FOUND', `${projectPath} is not a directory`);
    return hit.root;
  }
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function outside(path: string, roots: readonly string[]): LeindexError {
  return new LeindexError('E_PATH_OUTSIDE_ROOT', `${path} is not inside a project this server serves`, {
    hint: `served projects: ${roots.join(', ')} (omit project_path for the first)`,
  });
}
