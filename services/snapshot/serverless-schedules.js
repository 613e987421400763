// osls plugin of the snapshot service: turns the `schedules` of trapheus.config.yml (repository root, or the
// file named by TRAPHEUS_CONFIG) into EventBridge Scheduler schedules that put RestoreRequested on the project bus,
// with their own role (events:PutEvents on that bus only). The config is validated before anything is packaged:
// a bad entry fails `serverless package` / `deploy` (and so `npm run package`) with a message naming the entry.
// The schema and the resources are packages/shared/src/schedules.ts, loaded through tsx (no build step).

const path = require('node:path');
const tsx = require('tsx/cjs/api');

const root = path.resolve(__dirname, '..', '..');

/** The config file the deploy reads. */
const configFile = () => process.env.TRAPHEUS_CONFIG || path.join(root, 'trapheus.config.yml');

/** Requires a TypeScript module of the repository: through tsx (registered once), or the host's loader (jest). */
let registered = false;
const requireTs = (file) => {
  if (!registered && !require.extensions['.ts']) tsx.register();
  registered = true;
  return require(file);
};
/** @returns {import('../../packages/shared/src/schedules-file')} */
const schedulesFile = () => requireTs('../../packages/shared/src/schedules-file.ts');
/** @returns {import('../../packages/shared/src/schedules')} */
const schedules = () => requireTs('../../packages/shared/src/schedules.ts');

class TrapheusSchedules {
  constructor(serverless) {
    this.serverless = serverless;
    this.entries = undefined;
    this.hooks = {
      // Fail fast, before esbuild bundles anything.
      'before:package:initialize': () => this.load(),
      'package:compileEvents': () => this.addResources(),
    };
  }

  load() {
    try {
      this.entries = schedulesFile().loadSchedulesFile(configFile());
    } catch (err) {
      const ServerlessError = this.serverless.classes?.Error ?? Error;
      throw new ServerlessError(`trapheus schedules: ${err.message}`, 'TRAPHEUS_SCHEDULES_INVALID');
    }
    return this.entries;
  }

  addResources() {
    const entries = this.entries ?? this.load();
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const resources = schedules().schedulerResources(entries);
    for (const id of Object.keys(resources)) {
      if (template.Resources[id]) {
        throw new Error(`trapheus schedules: the template already has a resource ${id}`);
      }
    }
    Object.assign(template.Resources, resources);
  }
}

module.exports = TrapheusSchedules;
module.exports.configFile = configFile;
