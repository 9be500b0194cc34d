'use strict';
/**
 * A local osls plugin: drops the `DependsOn` entries osls writes that a Ref, GetAtt or Sub of the
 * same resource already implies (cfn-lint W3005). CloudFormation orders those resources the same way
 * without them, so the deployed stack is unchanged; the template just says each dependency once.
 */
function referenced(value, names = new Set()) {
  if (Array.isArray(value)) {
    for (const v of value) referenced(v, names);
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') names.add(v);
      else if (key === 'Fn::GetAtt') names.add(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([^!}][^}.]*)/g)) names.add(m[1]);
        if (Array.isArray(v)) referenced(v[1], names);
      } else referenced(v, names);
    }
  }
  return names;
}

class TidyTemplate {
  constructor(serverless) {
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => {
        const resources = serverless.service.provider.compiledCloudFormationTemplate.Resources;
        for (const resource of Object.values(resources)) {
          if (!resource.DependsOn) continue;
          const implied = referenced(resource.Properties);
          const kept = [resource.DependsOn].flat().filter((name) => !implied.has(name));
          if (kept.length === 0) delete resource.DependsOn;
          else resource.DependsOn = kept;
        }
      },
    };
  }
}

module.exports = TidyTemplate;
