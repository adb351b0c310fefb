import { LineCounter, parseDocument } from 'yaml';

export type DocPath = readonly (string | number)[];

/** A YAML document read for checking: its data, the line of any path in it, and syntax problems. */
export interface YamlSource {
  data: unknown;
  /** The line of the node at `path`, or of its nearest existing ancestor (1 for the document). */
  lineOf(path: DocPath): number;
  /** YAML syntax errors as `shown:line: YAML: message`; when any, `data` is not to be trusted. */
  syntaxProblems: string[];
}

/**
 * Parses a configuration file written by people (rules, policies) so every later problem can name
 * the file and the line: duplicate keys are errors, and node ranges are kept.
 */
export function parseYamlSource(text: string, shown: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (path: DocPath): number => {
    for (let p = [...path]; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lines.linePos(range[0]).line;
      if (p.length === 0) return 1;
    }
  };
  const syntaxProblems = doc.errors.map((e) => `${shown}:${e.linePos?.[0]?.line ?? 1}: YAML: ${e.message.split('\n')[0]}`);
  return { data: syntaxProblems.length ? undefined : doc.toJS(), lineOf, syntaxProblems };
}
