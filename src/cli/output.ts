/** The machine-readable formats of `-o`: the same content either way. */
export type DataFormat = 'json' | 'yaml';

export const isData = (o: string): o is DataFormat => o === 'json' || o === 'yaml';

/** The value as JSON or as YAML (made from the JSON, so both say exactly the same). */
export async function formatData(format: DataFormat, value: unknown): Promise<string> {
  const json = JSON.stringify(value, null, 2);
  if (format === 'json') return `${json}\n`;
  // the yaml package is loaded only when YAML is asked for
  const { jsonToYaml } = await import('./yaml-output.js');
  return jsonToYaml(json);
}

export async function printData(format: DataFormat, value: unknown): Promise<void> {
  process.stdout.write(await formatData(format, value));
}
