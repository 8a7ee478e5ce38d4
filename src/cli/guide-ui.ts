import { createInterface } from 'node:readline/promises';
import type { GuideUi } from '../guide/session.js';

/**
 * The guided session in a terminal. On a TTY: a menu built on @inquirer/core whose header (the
 * clock) redraws every second, single-key choices, and @inquirer/prompts for text. Elsewhere (a pipe,
 * CI): plain lines, no colours and no cursor tricks, answers read line by line from stdin.
 */
export async function terminalUi(): Promise<{ ui: GuideUi; close: () => void }> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) return plainUi();
  const { createPrompt, useState, useEffect, useKeypress, isEnterKey, isUpKey, isDownKey } =
    await import('@inquirer/core');
  const { input } = await import('@inquirer/prompts');
  interface MenuConfig {
    header: () => string;
    body: string;
    options: { key: string; label: string; value: string }[];
  }
  const menu = createPrompt<string, MenuConfig>((config, done) => {
    const [, setTick] = useState(0);
    const [active, setActive] = useState(0);
    useEffect(() => {
      // a repaint of the elapsed time each second, not a time read: the time shown comes from the session's clock
      const t = setInterval(() => setTick((x) => x + 1), 1000);
      return () => clearInterval(t);
    }, []);
    useKeypress((key) => {
      const byKey = config.options.find((o) => o.key === key.name);
      if (byKey) return done(byKey.value);
      if (isEnterKey(key)) return done(config.options[active]!.value);
      if (isUpKey(key)) setActive((active + config.options.length - 1) % config.options.length);
      if (isDownKey(key)) setActive((active + 1) % config.options.length);
    });
    const lines = config.options.map((o, i) => `${i === active ? '❯' : ' '} [${o.key}] ${o.label}`);
    return `${config.header()}\n\n${config.body}\n\n${lines.join('\n')}`;
  });
  return {
    ui: {
      choose: (o) => menu(o),
      ask: (message) => input({ message }),
      write: (text) => void process.stdout.write(text),
    },
    close: () => undefined,
  };
}

function plainUi(): { ui: GuideUi; close: () => void } {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('stdin closed: the guided session needs answers (use --yes for unattended runs)');
    return String(r.value).trim();
  };
  return {
    ui: {
      choose: async (o) => {
        process.stdout.write(
          `\n${o.header()}\n\n${o.body}\n\n${o.options.map((x) => `  [${x.key}] ${x.label}`).join('\n')}\nchoice> `,
        );
        for (;;) {
          const a = await next();
          const hit = o.options.find((x) => x.key === a || x.value === a);
          if (hit) return hit.value;
          process.stdout.write(`choose one of ${o.options.map((x) => x.key).join(', ')}> `);
        }
      },
      ask: async (message) => {
        process.stdout.write(`${message} `);
        return next();
      },
      write: (text) => void process.stdout.write(text),
    },
    close: () => rl.close(),
  };
}
