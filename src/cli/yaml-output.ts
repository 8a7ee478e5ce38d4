import { stringify } from 'yaml';

/** JSON text as YAML, lines never folded (a URL or a message stays on one line). */
export const jsonToYaml = (json: string): string => stringify(JSON.parse(json), { lineWidth: 0 });
